# Turns a text file into a C string constant `const char SYM[]` plus its
# length `const size_t SYM_len`, so data files can ship inside the binary.
file(READ ${IN} _hex HEX)
string(LENGTH "${_hex}" _n)
math(EXPR _len "${_n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" _bytes "${_bytes}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n#include <stddef.h>\nextern const char ${SYM}[];\nextern const size_t ${SYM}_len;\nconst char ${SYM}[] = {\n${_bytes}0x00};\nconst size_t ${SYM}_len = ${_len};\n")
