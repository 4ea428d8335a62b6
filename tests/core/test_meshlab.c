/*
 * test_meshlab - the lab file's mesh section (console/cmd/meshlab.c):
 * the shipped mesh labs read and build; each kind of bad section gets one
 * line naming the file and the field; a mesh-only lab has no drivers.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/meshlab.h"
#include "core/lab.h"
#include "core/paths.h"
#include "t.h"

static struct meshlab ml;

/* Reads the lab text with `mesh = { MESH }` and 10 s; 0 or -1 (err). */
static int read_mesh(const char *mesh, char *err, size_t n)
{
    char text[4096];
    snprintf(text, sizeof text,
             "return { name = 't', duration = '10s', mesh = { %s } }", mesh);
    struct lab *lab = NULL;
    if (lab_load_string("t.lua", text, strlen(text), ".", &lab, err, n) != 0)
        return -2;
    int rc = meshlab_read(lab, &ml, err, n);
    lab_free(lab);
    return rc;
}

static void bad(const char *mesh, const char *want)
{
    char err[512] = "";
    const int rc = read_mesh(mesh, err, sizeof err);
    T_CHECK(rc == -1);
    T_CHECK(strncmp(err, "t.lua: ", 7) == 0);
    T_CHECK(strstr(err, want) != NULL);
    T_CHECK(strchr(err, '\n') == NULL);
    if (!strstr(err, want))
        fprintf(stderr, "  got: %s\n  want: %s\n", err, want);
}

static void test_good(void)
{
    char err[512] = "";
    T_CHECK(read_mesh("nodes = 6, topology = 'grid', cols = 3, "
                      "modules = { { node = 1, type = 'cpu' }, "
                      "{ node = 6, type = 'fpga', id = 'f1' } }, "
                      "events = { { at = '5s', recover = 2 }, "
                      "{ at = 2, fail = 2 } }, "
                      "agents = { controller = 'po', alpha = 0.2 }",
                      err, sizeof err) == 0);
    T_CHECK(ml.p.n == 6 && ml.p.nl == 7); /* 2 x 3: 4 across, 3 down */
    T_CHECK(ml.p.nmod == 2 && ml.p.mod[1].node == 5);
    T_CHECK(strcmp(ml.p.mod[0].id, "cpu") == 0 &&
            strcmp(ml.p.mod[1].id, "f1") == 0);
    T_CHECK(ml.p.nev == 2 && ml.p.ev[0].kind == MESHCFG_FAIL &&
            ml.p.ev[0].at_s == 2 && ml.p.ev[1].at_s == 5); /* sorted */
    T_CHECK(ml.agents.mode == QMESH_PO && ml.agents.alpha == 0.2);
    T_CHECK(read_mesh("nodes = 5, topology = 'ring'", err, sizeof err) == 0);
    T_CHECK(ml.p.nl == 5);
    T_CHECK(read_mesh("nodes = 3, links = { { 1, 2 }, { 2, 3, r = 0.02 } }",
                      err, sizeof err) == 0);
    T_CHECK(ml.p.nl == 2 && ml.p.link[1].r == 0.02 && ml.p.link[0].r == 0.01);
}

static void test_bad(void)
{
    bad("nodes = 4, links = { { 1, 2 }, { 3, 4 } }",
        "mesh.links: the mesh is disconnected: node 3 is not reachable");
    bad("nodes = 9, topology = 'ring', modules = { { node = 12, type = "
        "'cpu' } }",
        "mesh.modules.1.node: no node 12 (the mesh has 9)");
    bad("nodes = 3, topology = 'line', modules = { { node = 1, type = "
        "'cpu', vnom = 1.6 } }",
        "mesh.modules.1.vnom: outside the cpu part's range");
    bad("nodes = 3, topology = 'line', modules = { { node = 1, type = "
        "'tpu' } }",
        "unknown module type 'tpu'");
    bad("nodes = 3, topology = 'line', modules = { { node = 1, type = "
        "'cpu' }, { node = 1, type = 'gpu' }, { node = 1, type = 'gpu' } }",
        "mesh.modules.3: node 1 already has 2 modules");
    bad("nodes = 3, topology = 'line', events = { { at = '20s', fail = 1 "
        "} }",
        "mesh.events.1.at: 20 s is outside the lab's 10 s");
    bad("nodes = 3, topology = 'line', events = { { at = '2s', fail = 1, "
        "recover = 1 } }",
        "one of fail, recover, attach, detach or drift");
    bad("nodes = 3, topology = 'line', events = { { at = '2s', attach = 1 "
        "} }",
        "mesh.events.1.type: expected a module type");
    bad("nodes = 3, topology = 'line', events = { { at = 'soon', fail = 1 "
        "} }",
        "mesh.events.1.at: expected a duration");
    bad("nodes = 6, topology = 'grid', cols = 4", "does not divide 6 nodes");
    bad("nodes = 2, topology = 'ring'", "a ring needs 3 nodes");
    bad("nodes = 3, topology = 'line', links = { { 1, 2 } }",
        "give either topology or links");
    bad("nodes = 3, links = { { 1, 1 } }", "links node 1 to itself");
    bad("nodes = 0, topology = 'line'", "mesh.nodes: must be in [1, 64]");
    bad("nodes = 3.5, topology = 'line'", "mesh.nodes: expected a whole");
    bad("nodes = 3, topology = 'line', bogus = 1",
        "mesh: unknown field 'bogus'");
    /* the lab's own text in a message, newline and all (fuzz_meshlab's
     * find): blanked to keep the message one line */
    bad("nodes = 3, topology = 'line', ['x\\ny'] = 1",
        "mesh: unknown field 'x y'");
    bad("nodes = 3, topology = 'li\\nne'", "'li ne'");
    bad("nodes = 3, topology = 'line', modules = { { node = 1, type = "
        "'cp\\nu' } }",
        "unknown module type 'cp u'");
    bad("nodes = 3, topology = 'line', agents = { alpha = 2 }",
        "mesh.agents.alpha: must be in");
    bad("nodes = 3, topology = 'line', agents = { controller = 'pid' }",
        "mesh.agents.controller: expected");
    bad("nodes = 3, topology = 'line', modules = { { node = 1, type = "
        "'cpu', id = 'a/b' } }",
        "mesh.modules.1.id: 'a/b'");
    char err[512];
    struct lab *lab = NULL;
    const char *nomesh = "return { drivers = { { plugin = 'sim' } } }";
    T_CHECK(lab_load_string("n.lua", nomesh, strlen(nomesh), ".", &lab, err,
                            sizeof err) == 0);
    T_CHECK(meshlab_read(lab, &ml, err, sizeof err) == -1 &&
            strstr(err, "no mesh section"));
    lab_free(lab);
    /* a mesh-only lab needs no drivers, a lab with neither does */
    const char *none = "return { name = 'x' }";
    T_CHECK(lab_load_string("x.lua", none, strlen(none), ".", &lab, err,
                            sizeof err) == -1 &&
            strstr(err, "drivers: missing"));
}

static void test_shipped(void)
{
    static const char *const labs[] = {"grid3x3.lua", "ring12.lua"};
    static struct mesh m;
    static struct qmesh q;
    for (int k = 0; k < 2; k++) {
        char path[4096], err[512] = "";
        snprintf(path, sizeof path, "%s/mesh/%s", paths_lab_dir(), labs[k]);
        struct lab *lab = NULL;
        T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
        if (!lab) {
            fprintf(stderr, "%s\n", err);
            continue;
        }
        T_CHECK(lab->n_drivers == 1); /* the same mesh as a driver */
        T_CHECK(meshlab_read(lab, &ml, err, sizeof err) == 0);
        lab_free(lab);
        T_CHECK(ml.p.nmod == ml.p.n && ml.p.nev >= 4);
        T_CHECK(meshlab_build(&ml, &ml.agents, &m, &q, err, sizeof err) == 0);
        T_CHECK(m.net.nl == ml.p.nl && q.n == ml.p.n);
        /* the events change the plant when they are due, not before */
        unsigned fnode = 0;
        double at = 0;
        for (unsigned e = 0; e < ml.p.nev; e++)
            if (ml.p.ev[e].kind == MESHCFG_FAIL) {
                fnode = ml.p.ev[e].node;
                at = ml.p.ev[e].at_s;
                break;
            }
        T_CHECK(meshlab_events(&ml, 0, at - 0.01, &m, &q) == 0);
        T_CHECK(!m.node[fnode].failed);
        T_CHECK(meshlab_events(&ml, at - 0.01, at, &m, &q) >= 1);
        T_CHECK(m.node[fnode].failed);
        qmesh_free(&q);
    }
}

int main(void)
{
    test_good();
    test_bad();
    test_shipped();
    return t_done("test_meshlab");
}
