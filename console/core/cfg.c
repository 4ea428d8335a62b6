/*
 * cfg - the configuration tree (see cfg.h).
 *
 * A table is a flat vector of (key, node) entries.  Tables are small (a lab
 * file's tables have a handful of keys, arrays a few hundred entries), so a
 * vector beats a hash: lookups are linear until cfg_sort has run, after which
 * an array index is one subscript and a name is a binary search.
 *
 * Canonical order (cfg_sort): the array part "1".."n" (the longest run of
 * consecutive integer keys starting at 1) in numeric order, then every other
 * key by strcmp.  A key added twice keeps the value added last: cfg_sort
 * drops the earlier ones, and lookups before sorting search from the end.
 */
#include "cfg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wattson/plugin.h"

struct cfg_entry {
    char *key;
    uint64_t index; /* the key as a positive integer, 0 if it is not one */
    size_t seq;     /* insertion position: "last value wins" needs it */
    struct cfg *val;
};

struct cfg {
    int type;
    double num;
    char *str;
    int b;
    struct cfg_entry *ents;
    size_t n, cap;
    size_t n_array; /* valid when `sorted`: keys 1..n_array lead */
    int sorted;
};

/* "1", "42": canonical decimal without sign or leading zero.  Anything else
 * ("01", "+1", "1.0") is an ordinary name, as Lua would treat it. */
static uint64_t cfg_index_of(const char *s, size_t len)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

int cfg_type(const struct cfg *node)
{
    return node ? node->type : WATTSON_CFG_NONE;
}

const char *cfg_type_name(int type)
{
    return wattson_cfg_type_name(type, "nil");
}

static const struct cfg *cfg_find(const struct cfg *t, const char *key,
                                  size_t len)
{
    if (!t || t->type != WATTSON_CFG_TABLE)
        return NULL;
    if (t->sorted) {
        uint64_t idx = cfg_index_of(key, len);
        if (idx && idx <= t->n_array)
            return t->ents[idx - 1].val;
        /* The tail after the array part is strcmp-ordered. */
        size_t lo = t->n_array, hi = t->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const char *k = t->ents[mid].key;
            int c = strncmp(k, key, len);
            if (c == 0 && k[len] != '\0')
                c = 1; /* k is longer: it sorts after key */
            if (c == 0)
                return t->ents[mid].val;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return NULL;
    }
    for (size_t i = t->n; i-- > 0;) {
        const char *k = t->ents[i].key;
        if (strncmp(k, key, len) == 0 && k[len] == '\0')
            return t->ents[i].val;
    }
    return NULL;
}

const struct cfg *cfg_get(const struct cfg *root, const char *path)
{
    if (!root || !path || !*path)
        return root;
    const struct cfg *node = root;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0)
            return NULL; /* "a..b", ".a" or "a." name nothing */
        node = cfg_find(node, p, len);
        if (!node || !dot)
            return node;
        p = dot + 1;
    }
}

size_t cfg_len(const struct cfg *table)
{
    return table && table->type == WATTSON_CFG_TABLE ? table->n : 0;
}

const char *cfg_key_at(const struct cfg *table, size_t i)
{
    return i < cfg_len(table) ? table->ents[i].key : NULL;
}

const struct cfg *cfg_at(const struct cfg *table, size_t i)
{
    return i < cfg_len(table) ? table->ents[i].val : NULL;
}

int cfg_is_array(const struct cfg *table)
{
    if (!table || table->type != WATTSON_CFG_TABLE)
        return 0;
    if (table->sorted)
        return table->n_array == table->n;
    /* Unsorted: every key must be an index in 1..n and none may repeat. */
    size_t n = table->n;
    if (n == 0)
        return 1;
    unsigned char *seen = calloc(n, 1);
    if (!seen)
        return 0;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        uint64_t idx = table->ents[i].index;
        if (idx == 0 || idx > n || seen[idx - 1])
            ok = 0;
        else
            seen[idx - 1] = 1;
    }
    free(seen);
    return ok;
}

double cfg_number(const struct cfg *node)
{
    return node && node->type == WATTSON_CFG_NUMBER ? node->num : 0;
}

const char *cfg_string(const struct cfg *node)
{
    return node && node->type == WATTSON_CFG_STRING ? node->str : NULL;
}

int cfg_bool(const struct cfg *node)
{
    return node && node->type == WATTSON_CFG_BOOL ? node->b : 0;
}

static struct cfg *cfg_node(int type)
{
    struct cfg *c = calloc(1, sizeof *c);
    if (c)
        c->type = type;
    return c;
}

struct cfg *cfg_new_table(void)
{
    struct cfg *t = cfg_node(WATTSON_CFG_TABLE);
    if (t)
        t->sorted = 1; /* an empty table is trivially in order */
    return t;
}

/* Takes ownership of `val` (freed on failure). */
static struct cfg *cfg_attach(struct cfg *table, const char *key,
                              struct cfg *val)
{
    if (!val)
        return NULL;
    if (!table || table->type != WATTSON_CFG_TABLE || !key) {
        cfg_free(val);
        return NULL;
    }
    if (table->n == table->cap) {
        size_t cap = table->cap ? table->cap * 2 : 4;
        if (cap > SIZE_MAX / sizeof *table->ents) {
            cfg_free(val);
            return NULL;
        }
        struct cfg_entry *e = realloc(table->ents, cap * sizeof *e);
        if (!e) {
            cfg_free(val);
            return NULL;
        }
        table->ents = e;
        table->cap = cap;
    }
    size_t klen = strlen(key);
    char *k = malloc(klen + 1);
    if (!k) {
        cfg_free(val);
        return NULL;
    }
    memcpy(k, key, klen + 1);
    struct cfg_entry *e = &table->ents[table->n];
    e->key = k;
    e->index = cfg_index_of(k, klen);
    e->seq = table->n;
    e->val = val;
    table->n++;
    table->sorted = 0;
    return val;
}

struct cfg *cfg_add_table(struct cfg *table, const char *key)
{
    return cfg_attach(table, key, cfg_new_table());
}

struct cfg *cfg_add_number(struct cfg *table, const char *key, double v)
{
    struct cfg *c = cfg_node(WATTSON_CFG_NUMBER);
    if (c)
        c->num = v;
    return cfg_attach(table, key, c);
}

struct cfg *cfg_add_string(struct cfg *table, const char *key, const char *s)
{
    if (!s)
        return NULL;
    struct cfg *c = cfg_node(WATTSON_CFG_STRING);
    if (!c)
        return NULL;
    size_t len = strlen(s);
    c->str = malloc(len + 1);
    if (!c->str) {
        free(c);
        return NULL;
    }
    memcpy(c->str, s, len + 1);
    return cfg_attach(table, key, c);
}

struct cfg *cfg_add_bool(struct cfg *table, const char *key, int b)
{
    struct cfg *c = cfg_node(WATTSON_CFG_BOOL);
    if (c)
        c->b = b != 0;
    return cfg_attach(table, key, c);
}

/* Indices first, numerically; then names; equal keys by insertion so that
 * the last one added ends up last in its run. */
static int cfg_cmp_entry(const void *pa, const void *pb)
{
    const struct cfg_entry *a = pa, *b = pb;
    int c;
    if (a->index && b->index)
        c = (a->index > b->index) - (a->index < b->index);
    else if (a->index || b->index)
        c = a->index ? -1 : 1;
    else
        c = strcmp(a->key, b->key);
    if (c == 0)
        c = (a->seq > b->seq) - (a->seq < b->seq);
    return c;
}

static int cfg_cmp_name(const void *pa, const void *pb)
{
    const struct cfg_entry *a = pa, *b = pb;
    return strcmp(a->key, b->key);
}

void cfg_sort(struct cfg *table)
{
    if (!table || table->type != WATTSON_CFG_TABLE)
        return;
    for (size_t i = 0; i < table->n; i++)
        cfg_sort(table->ents[i].val);
    if (table->sorted)
        return;
    if (table->n > 1)
        qsort(table->ents, table->n, sizeof *table->ents, cfg_cmp_entry);
    /* Drop all but the last of each run of equal keys. */
    size_t w = 0;
    for (size_t r = 0; r < table->n; r++) {
        if (r + 1 < table->n &&
            strcmp(table->ents[r].key, table->ents[r + 1].key) == 0) {
            free(table->ents[r].key);
            cfg_free(table->ents[r].val);
            continue;
        }
        table->ents[w++] = table->ents[r];
    }
    table->n = w;
    size_t a = 0;
    while (a < table->n && table->ents[a].index == a + 1)
        a++;
    table->n_array = a;
    /* Indices past a gap ("1","2","5") are names like any other. */
    if (table->n - a > 1)
        qsort(table->ents + a, table->n - a, sizeof *table->ents, cfg_cmp_name);
    for (size_t i = 0; i < table->n; i++)
        table->ents[i].seq = i;
    table->sorted = 1;
}

void cfg_free(struct cfg *root)
{
    if (!root)
        return;
    for (size_t i = 0; i < root->n; i++) {
        free(root->ents[i].key);
        cfg_free(root->ents[i].val);
    }
    free(root->ents);
    free(root->str);
    free(root);
}
