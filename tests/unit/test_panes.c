/*
 * test_panes - the console's stores without a terminal: the log ring's
 * sequence numbers and whole lines, and how the detail view wraps a line
 * (counted with nothing drawn: h = 0).
 */
#include "t.h"
#include "tui/panes.h"

static void test_log_ring(void)
{
    unsigned g0 = pane_log_gen();
    char msg[64];
    for (int i = 0; i < 300; i++) {
        snprintf(msg, sizeof msg, "line %d", i);
        pane_log_add(2, 1.5, msg);
    }
    unsigned gen = pane_log_gen();
    T_CHECK(gen == g0 + 300);
    unsigned first = pane_log_first();
    T_CHECK(gen - first == 128); /* the ring keeps 128 */
    T_CHECK(pane_log_line(first - 1, NULL) == NULL);
    T_CHECK(pane_log_line(gen, NULL) == NULL);
    int level = -1;
    const char *l = pane_log_line(gen - 1, &level);
    T_CHECK(l && strstr(l, "info: line 299"));
    T_CHECK(level == 2);
    l = pane_log_line(first, NULL);
    T_CHECK(l && strstr(l, "line 172"));
    /* A long message with newlines (a traceback) is kept whole; other
     * control characters become spaces. */
    char big[1100];
    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big + 900, "\nend.lua:12\x01x", 13);
    pane_log_add(0, 2, big);
    l = pane_log_line(pane_log_gen() - 1, &level);
    T_CHECK(l && strstr(l, "error: pppp"));
    T_CHECK(l && strstr(l, "\nend.lua:12 x"));
    T_CHECK(level == 0);
}

static void test_wrap(void)
{
    /* nothing is drawn with h = 0 (and no terminal): only rows counted */
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "") == 0);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "short") == 1);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "exactly10!") == 1);
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "exactly10!x") == 2);
    /* at a space when the row fills: "aaaa bbbb " / "cccc" */
    T_CHECK(pane_wrap(0, 0, 0, 10, 0, "aaaa bbbb cccc") == 2);
    /* a path with no spaces is cut every w columns */
    T_CHECK(pane_wrap(0, 0, 0, 4, 0, "/a/b/c/d/e/f") == 3);
    /* newlines always break, an empty line is a row */
    T_CHECK(pane_wrap(0, 0, 0, 40, 0, "one\ntwo\n\nfour") == 4);
    /* UTF-8: columns are code points */
    T_CHECK(pane_wrap(0, 0, 0, 3, 0, "▁▂▃▄▅▆") == 2);
}

int main(void)
{
    test_log_ring();
    test_wrap();
    return t_done("test_panes");
}
