/* cfg: building, lookup, canonical order, arrays. */
#include <stdlib.h>

#include "core/cfg.h"
#include "t.h"
#include "wattson/plugin.h"

static void test_scalars(void)
{
    struct cfg *t = cfg_new_table();
    T_CHECK(t != NULL);
    T_CHECK(cfg_add_number(t, "n", 2.5) != NULL);
    T_CHECK(cfg_add_string(t, "s", "hello") != NULL);
    T_CHECK(cfg_add_bool(t, "b", 1) != NULL);
    T_CHECK(cfg_add_bool(t, "f", 0) != NULL);
    T_CHECK(cfg_type(t) == WATTSON_CFG_TABLE);
    T_CHECK(cfg_type(cfg_get(t, "n")) == WATTSON_CFG_NUMBER);
    T_CHECK(cfg_type(cfg_get(t, "s")) == WATTSON_CFG_STRING);
    T_CHECK(cfg_type(cfg_get(t, "b")) == WATTSON_CFG_BOOL);
    T_CHECK(cfg_type(cfg_get(t, "missing")) == WATTSON_CFG_NONE);
    T_CHECK(cfg_type(NULL) == WATTSON_CFG_NONE);
    T_NEAR(cfg_number(cfg_get(t, "n")), 2.5, 0);
    T_STREQ(cfg_string(cfg_get(t, "s")), "hello");
    T_CHECK(cfg_bool(cfg_get(t, "b")) == 1);
    T_CHECK(cfg_bool(cfg_get(t, "f")) == 0);
    /* Wrong-type accessors answer the neutral value. */
    T_NEAR(cfg_number(cfg_get(t, "s")), 0, 0);
    T_CHECK(cfg_string(cfg_get(t, "n")) == NULL);
    T_CHECK(cfg_bool(cfg_get(t, "n")) == 0);
    T_CHECK(cfg_len(cfg_get(t, "n")) == 0);
    T_CHECK(cfg_key_at(cfg_get(t, "n"), 0) == NULL);
    /* Adding under a scalar fails. */
    T_CHECK(cfg_add_number((struct cfg *)cfg_get(t, "n"), "x", 1) == NULL);
    T_CHECK(cfg_add_string(t, "null", NULL) == NULL);
    T_STREQ(cfg_type_name(WATTSON_CFG_NUMBER), "number");
    T_STREQ(cfg_type_name(WATTSON_CFG_STRING), "string");
    T_STREQ(cfg_type_name(WATTSON_CFG_BOOL), "boolean");
    T_STREQ(cfg_type_name(WATTSON_CFG_TABLE), "table");
    T_STREQ(cfg_type_name(WATTSON_CFG_NONE), "nil");
    cfg_free(t);
    cfg_free(NULL);
}

static const char *const order_in[] = {"b",  "2", "a", "1",
                                       "10", "3", "B", "01"};
static const char *const order_out[] = {"1",  "2", "3", "01",
                                        "10", "B", "a", "b"};

static void test_order(void)
{
    struct cfg *t = cfg_new_table();
    size_t n = sizeof order_in / sizeof order_in[0];
    for (size_t i = 0; i < n; i++)
        cfg_add_number(t, order_in[i], (double)i);
    /* Before sorting: insertion order, lookups work. */
    T_STREQ(cfg_key_at(t, 0), "b");
    T_NEAR(cfg_number(cfg_get(t, "10")), 4, 0);
    cfg_sort(t);
    T_CHECK(cfg_len(t) == n);
    for (size_t i = 0; i < n; i++)
        T_STREQ(cfg_key_at(t, i), order_out[i]);
    /* After sorting: same answers, by index and by name. */
    for (size_t i = 0; i < n; i++)
        T_NEAR(cfg_number(cfg_get(t, order_in[i])), (double)i, 0);
    T_CHECK(cfg_get(t, "4") == NULL);
    T_CHECK(cfg_get(t, "c") == NULL);
    T_CHECK(cfg_get(t, "0") == NULL);
    T_CHECK(cfg_get(t, "1x") == NULL);
    T_CHECK(cfg_at(t, n) == NULL);
    T_CHECK(cfg_key_at(t, n) == NULL);
    T_CHECK(!cfg_is_array(t));
    cfg_free(t);
}

static void test_gap(void)
{
    /* {1, 2, [5] = x, [10] = y}: array part 1..2, then "10" < "5" by
     * strcmp. */
    struct cfg *t = cfg_new_table();
    cfg_add_number(t, "5", 5);
    cfg_add_number(t, "10", 10);
    cfg_add_number(t, "2", 2);
    cfg_add_number(t, "1", 1);
    cfg_sort(t);
    T_STREQ(cfg_key_at(t, 0), "1");
    T_STREQ(cfg_key_at(t, 1), "2");
    T_STREQ(cfg_key_at(t, 2), "10");
    T_STREQ(cfg_key_at(t, 3), "5");
    T_NEAR(cfg_number(cfg_get(t, "5")), 5, 0);
    T_NEAR(cfg_number(cfg_get(t, "10")), 10, 0);
    T_CHECK(!cfg_is_array(t));
    cfg_free(t);
}

static void test_arrays(void)
{
    struct cfg *e = cfg_new_table();
    T_CHECK(cfg_is_array(e)); /* empty counts as an array */
    T_CHECK(cfg_len(e) == 0);
    cfg_free(e);

    struct cfg *a = cfg_new_table();
    cfg_add_string(a, "3", "c");
    cfg_add_string(a, "1", "a");
    cfg_add_string(a, "2", "b");
    T_CHECK(cfg_is_array(a)); /* unsorted but keys 1..3 */
    cfg_sort(a);
    T_CHECK(cfg_is_array(a));
    T_STREQ(cfg_string(cfg_at(a, 0)), "a");
    T_STREQ(cfg_string(cfg_at(a, 2)), "c");
    cfg_add_string(a, "x", "x");
    T_CHECK(!cfg_is_array(a));
    cfg_free(a);

    struct cfg *z = cfg_new_table();
    cfg_add_number(z, "0", 0);
    T_CHECK(!cfg_is_array(z));
    cfg_free(z);
    struct cfg *d = cfg_new_table();
    cfg_add_number(d, "1", 0);
    cfg_add_number(d, "1", 1);
    T_CHECK(!cfg_is_array(d)); /* duplicate, no "2" */
    T_CHECK(!cfg_is_array(NULL));
    cfg_free(d);
}

static void test_paths(void)
{
    struct cfg *root = cfg_new_table();
    struct cfg *a = cfg_add_table(root, "a");
    struct cfg *a1 = cfg_add_table(a, "1");
    struct cfg *a2 = cfg_add_table(a, "2");
    cfg_add_string(a1, "b", "one");
    cfg_add_string(a2, "b", "two");
    struct cfg *deep = cfg_add_table(a2, "c");
    cfg_add_number(deep, "d", 7);
    for (int pass = 0; pass < 2; pass++) {
        T_STREQ(cfg_string(cfg_get(root, "a.2.b")), "two");
        T_STREQ(cfg_string(cfg_get(root, "a.1.b")), "one");
        T_NEAR(cfg_number(cfg_get(root, "a.2.c.d")), 7, 0);
        T_CHECK(cfg_get(root, "a.3.b") == NULL);
        T_CHECK(cfg_get(root, "a.2.b.x") == NULL); /* through a string */
        T_CHECK(cfg_get(root, "a..2") == NULL);
        T_CHECK(cfg_get(root, "a.") == NULL);
        T_CHECK(cfg_get(root, ".a") == NULL);
        T_CHECK(cfg_get(root, "") == root);
        T_CHECK(cfg_get(NULL, "a") == NULL);
        T_CHECK(cfg_is_array(cfg_get(root, "a")));
        T_CHECK(cfg_len(cfg_get(root, "a")) == 2);
        cfg_sort(root); /* second pass: sorted lookups */
    }
    cfg_free(root);
}

static void test_nested_sort(void)
{
    struct cfg *root = cfg_new_table();
    struct cfg *t = cfg_add_table(root, "z");
    cfg_add_number(t, "y", 1);
    cfg_add_number(t, "x", 2);
    cfg_add_number(root, "a", 3);
    cfg_sort(root);
    T_STREQ(cfg_key_at(root, 0), "a");
    T_STREQ(cfg_key_at(root, 1), "z");
    T_STREQ(cfg_key_at(cfg_get(root, "z"), 0), "x");
    T_STREQ(cfg_key_at(cfg_get(root, "z"), 1), "y");
    cfg_free(root);
}

static void test_duplicates(void)
{
    /* The last value added wins, before and after sorting. */
    struct cfg *t = cfg_new_table();
    cfg_add_number(t, "k", 1);
    cfg_add_string(t, "k", "two");
    cfg_add_number(t, "j", 0);
    cfg_add_number(t, "k", 3);
    T_NEAR(cfg_number(cfg_get(t, "k")), 3, 0);
    cfg_sort(t);
    T_CHECK(cfg_len(t) == 2);
    T_NEAR(cfg_number(cfg_get(t, "k")), 3, 0);
    T_STREQ(cfg_key_at(t, 1), "k");
    cfg_free(t);
}

static void test_big(void)
{
    /* Larger arrays stay ordered numerically, not "1","10","100",... */
    struct cfg *t = cfg_new_table();
    char key[16];
    for (int i = 300; i >= 1; i--) {
        snprintf(key, sizeof key, "%d", i);
        cfg_add_number(t, key, i);
    }
    cfg_sort(t);
    T_CHECK(cfg_is_array(t));
    int ok = 1;
    for (size_t i = 0; i < cfg_len(t); i++)
        ok &= cfg_number(cfg_at(t, i)) == (double)(i + 1);
    T_CHECK(ok);
    T_NEAR(cfg_number(cfg_get(t, "250")), 250, 0);
    cfg_free(t);
}

int main(void)
{
    test_scalars();
    test_order();
    test_gap();
    test_arrays();
    test_paths();
    test_nested_sort();
    test_duplicates();
    test_big();
    return t_done("test_cfg");
}
