/* mip.c - solving and exporting the rebalance MIP (model in mip_build.c).
 *
 * GLPK is contained here: its terminal output is switched off around every
 * call and restored after, and its fatal-error hook longjmps back so a GLPK
 * failure becomes RP_EINTERNAL instead of an abort (glp_free_env then
 * reclaims everything GLPK held, so the problem object is not freed twice). */
#include "mip_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bound.h"

const char *const rp_mip_status_names[3] = {"optimal", "feasible", "none"};

void rp_mip_opts_default(rp_mip_opts *o)
{
    *o = (rp_mip_opts){.move_budget = -2, .time_limit = 60, .mip_gap = 0};
}

void rp_mip_result_free(rp_mip_result *r)
{
    free(r->reefs);
    free(r->place);
    memset(r, 0, sizeof *r);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- GLPK containment --------------------------------------------------- */

static void on_glpk_error(void *info)
{
    longjmp(*(jmp_buf *)info, 1);
}

typedef struct mip_job {
    const rp_fleet *f;
    const rp_mip_opts *o;
    const char *lp_path; /* export: write here instead of solving */
    rp_mip_result *out;
    rp_error *err;
    rp__mip m;
    double bound;
    double *start_x; /* starting solution for GLPK, or NULL */
    bool injected;
} mip_job;

static int run_job(mip_job *j, int (*body)(mip_job *));

/* ---- reading the solution ------------------------------------------------ */

static bool col_on(const rp__mip *m, int col)
{
    return col > 0 && glp_mip_col_val(m->lp, col) > 0.5;
}

/* Tiers of a chosen pair from its s columns. */
static void pair_place(const rp__mip *m, const rp__mpair *p, rp_mip_place *pl)
{
    pl->reef = p->reef;
    for (int k = 0; k < RP_NTIERS; k++) {
        bool shared = p->scol[k] == RP__S_Z || (p->scol[k] > 0 && col_on(m, p->scol[k]));
        pl->tier[k] = shared ? RP_SHARED : RP_DEDICATED;
    }
    rp_ded_fill(m->f, (size_t)p->inst, m->r[p->reef].info.template_idx, pl->tier, &pl->ded);
}

static void read_places(const rp__mip *m, rp_mip_result *out)
{
    const rp_fleet *f = m->f;
    out->ninst = f->ninst;
    out->place = rp_xcalloc(f->ninst + 1, sizeof(rp_mip_place));
    for (size_t i = 0; i < f->ninst; i++) {
        rp_mip_place *pl = &out->place[i];
        *pl = (rp_mip_place){.reef = -1, .ded = {-1, 0, 0}};
        if (!m->is_free[i]) {
            *pl = m->base[i];
            if (pl->reef >= 0)
                rp_ded_fill_or_largest(f, i, m->r[pl->reef].info.template_idx, pl->tier, &pl->ded);
            continue;
        }
        for (size_t k = m->first[i]; k < m->first[i + 1]; k++)
            if (col_on(m, RP_VEC_AT(&m->pairs, rp__mpair, k).zcol))
                pair_place(m, &RP_VEC_AT(&m->pairs, rp__mpair, k), pl);
    }
}

static void read_reefs(const rp__mip *m, rp_mip_result *out)
{
    out->nreefs = m->nr;
    out->reefs = rp_xcalloc(m->nr + 1, sizeof(rp_mip_reef));
    for (size_t r = 0; r < m->nr; r++) {
        const rp__mreef *x = &m->r[r];
        rp_mip_reef *o = &out->reefs[r];
        *o = x->info;
        o->pool = -1;
        if (!x->cand || !col_on(m, x->ocol))
            continue;
        o->open = true;
        for (size_t k = 0; k < m->f->cat->npools; k++)
            if (col_on(m, x->ycol + (int)k))
                o->pool = (int)k;
        o->nodes = (int)lround(glp_mip_col_val(m->lp, x->ncol));
    }
    for (size_t i = 0; i < out->ninst; i++) /* reefs outside the candidates */
        if (out->place[i].reef >= 0 && !m->r[out->place[i].reef].cand)
            out->reefs[out->place[i].reef].open = true;
}

/* The objective recomputed from rounded column values, penalties apart. */
static void read_objective(const rp__mip *m, rp_mip_result *out)
{
    const rp_fleet *f = m->f;
    int ncols = glp_get_num_cols(m->lp);
    double obj = m->constant;
    for (int j = 1; j <= ncols; j++) {
        double v = glp_mip_col_val(m->lp, j);
        if (glp_get_col_kind(m->lp, j) != GLP_CV)
            v = round(v);
        obj += m->obj[j] * v;
    }
    for (size_t i = 0; i < f->ninst; i++) {
        if (m->ucol[i] > 0)
            obj -= m->obj[m->ucol[i]] * glp_mip_col_val(m->lp, m->ucol[i]);
        int r = out->place[i].reef;
        bool draining = r >= 0 && m->r[r].state == RP_REEF_DRAINING;
        if (m->is_free[i])
            obj -= rp__mip_drain_pen(m, i, r);
        out->left_draining += draining;
        out->unplaced += r < 0;
        int orig = f->inst[i].reef;
        if (m->is_free[i] && r >= 0 && orig >= 0 && r != orig &&
            f->reefs[orig].state != RP_REEF_BROKEN)
            out->moves++;
    }
    out->moves += m->fixed_moves;
    out->objective = obj;
    out->mip_objective = glp_mip_obj_val(m->lp) + 0.0;
}

/* ---- solving ---------------------------------------------------------------- */

static void on_search(glp_tree *tree, void *info)
{
    mip_job *j = info;
    if (glp_ios_reason(tree) == GLP_IHEUR && j->start_x && !j->injected) {
        j->injected = true;
        glp_ios_heur_sol(tree, j->start_x);
    }
    int node = glp_ios_best_node(tree);
    if (node > 0)
        j->bound = glp_ios_node_bound(tree, node);
    if (j->o->node_limit > 0 && glp_ios_reason(tree) == GLP_ISELECT) {
        int total;
        glp_ios_tree_size(tree, NULL, NULL, &total);
        if (total > j->o->node_limit)
            glp_ios_terminate(tree);
    }
}

static int time_limit_ms(double seconds)
{
    double ms = seconds * 1000.0;
    return seconds > 0 && ms < INT_MAX ? (ms < 1 ? 1 : (int)ms) : INT_MAX;
}

/* The LP relaxation is solved first with glp_simplex, which honours the
 * time limit (glp_intopt's own presolver does not while it solves the root
 * LP), and glp_intopt then starts from its basis with its MIP presolver
 * off (which also keeps the column numbering a starting solution is given
 * in). Returns the seconds it took, or -1 when it reached no optimum. */
static double relax_first(mip_job *j)
{
    double t0 = now_seconds();
    glp_smcp s;
    glp_init_smcp(&s);
    s.msg_lev = GLP_MSG_OFF;
    s.presolve = GLP_OFF; /* GLPK's LP presolver ignores tm_lim */
    s.tm_lim = time_limit_ms(j->o->time_limit);
    if (j->o->lp_iter_limit > 0)
        s.it_lim = j->o->lp_iter_limit;
    int rc = glp_simplex(j->m.lp, &s);
    j->out->timed_out = rc == GLP_ETMLIM;
    if (rc != 0 || glp_get_status(j->m.lp) != GLP_OPT)
        return -1;
    return now_seconds() - t0;
}

static int solve_body(mip_job *j)
{
    glp_iocp p;
    glp_init_iocp(&p);
    p.msg_lev = GLP_MSG_OFF;
    if (j->o->start)
        j->start_x = rp__mip_start_vector(&j->m, j->o->start);
    j->out->start_used = j->start_x != NULL;
    double used = relax_first(j);
    if (used < 0) {
        j->out->status = RP_MIP_NONE;
        j->out->bound = -INFINITY;
        return 0;
    }
    if (j->o->relax_only) {
        j->out->status = RP_MIP_NONE;
        j->out->bound = glp_get_obj_val(j->m.lp);
        return 0;
    }
    p.presolve = GLP_OFF;
    p.mip_gap = j->o->mip_gap;
    p.fp_heur = GLP_ON;
    p.cb_func = on_search;
    p.cb_info = j;
    p.tm_lim = time_limit_ms(j->o->time_limit > 0 ? fmax(j->o->time_limit - used, 1e-3) : 0);
    j->bound = -INFINITY;
    int rc = glp_intopt(j->m.lp, &p);
    j->out->timed_out = rc == GLP_ETMLIM;
    int st = glp_mip_status(j->m.lp);
    rp_mip_result *out = j->out;
    if (st != GLP_OPT && st != GLP_FEAS) {
        out->status = RP_MIP_NONE;
        out->bound = j->bound;
        return 0;
    }
    out->status =
        st == GLP_OPT && (rc == 0 || rc == GLP_EMIPGAP) ? RP_MIP_OPTIMAL : RP_MIP_FEASIBLE;
    read_places(&j->m, out);
    read_reefs(&j->m, out);
    read_objective(&j->m, out);
    out->bound = out->status == RP_MIP_OPTIMAL && p.mip_gap == 0 ? out->mip_objective
                                                                 : fmax(j->bound, -1e300);
    return 0;
}

static int build_body(mip_job *j)
{
    double t0 = now_seconds();
    int rc = rp__mip_build(&j->m, j->f, j->o, j->err);
    j->out->build_seconds = now_seconds() - t0;
    if (rc < 0)
        return rc;
    rp_mip_result *out = j->out;
    out->rows = glp_get_num_rows(j->m.lp);
    out->cols = glp_get_num_cols(j->m.lp);
    out->nonzeros = glp_get_num_nz(j->m.lp);
    out->integers = glp_get_num_int(j->m.lp);
    if (j->lp_path) {
        if (glp_write_lp(j->m.lp, NULL, j->lp_path) != 0)
            return rp_error_set(j->err, RP_EIO, j->lp_path, 0, 0, "cannot write the LP file");
        return 0;
    }
    return solve_body(j);
}

/* Runs body with GLPK silenced and its fatal errors caught. */
static int run_job(mip_job *j, int (*body)(mip_job *))
{
    jmp_buf env;
    int term = glp_term_out(GLP_OFF);
    glp_error_hook(on_glpk_error, &env);
    volatile int rc = 0;
    if (setjmp(env) == 0) {
        rc = body(j);
        glp_error_hook(NULL, NULL);
        free(j->start_x);
        rp__mip_free(&j->m);
    } else {
        /* GLPK's state is unusable: free its environment (and with it the
         * problem object), then our side of the model. */
        glp_free_env();
        free(j->start_x);
        j->m.lp = NULL;
        rp__mip_free(&j->m);
        rc = rp_error_set(j->err, RP_EINTERNAL, "glpk", 0, 0, "GLPK failed on the model");
    }
    glp_term_out(term);
    return rc;
}

int rp_mip_solve_opts(const rp_fleet *f, const rp_mip_opts *o, rp_mip_result *out, rp_error *err)
{
    memset(out, 0, sizeof *out);
    out->status = RP_MIP_NONE;
    if (!f || !o || !(o->mip_gap >= 0) || !(o->time_limit == o->time_limit))
        return rp_error_set(err, RP_EINVALID, "mip", 0, 0, "bad MIP options");
    int rc = rp__mip_check_opts(f, o, err);
    if (rc < 0)
        return rc;
    double t0 = now_seconds();
    mip_job j = {.f = f, .o = o, .out = out, .err = err};
    rc = run_job(&j, build_body);
    out->seconds = now_seconds() - t0;
    if (rc < 0)
        rp_mip_result_free(out);
    return rc;
}

int rp_mip_solve(const rp_fleet *f, int move_budget, double time_limit, rp_mip_result *out)
{
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    o.move_budget = move_budget;
    o.time_limit = time_limit;
    rp_error err;
    int rc = rp_mip_solve_opts(f, &o, out, &err);
    return rc < 0 ? rc : (int)out->status;
}

/* ---- export ------------------------------------------------------------------- */

/* glp_write_lp returns 0 even when a write fails (a full disk, a file size
 * limit): the file it wrote is whole only if it ends with the format's last
 * line, "End". fd: the file GLPK wrote, by name. */
static bool lp_complete(int fd)
{
    char tail[4];
    off_t end = lseek(fd, 0, SEEK_END);
    return end >= 4 && pread(fd, tail, 4, end - 4) == 4 && !memcmp(tail, "End\n", 4);
}

int rp_mip_export_lp(const rp_fleet *f, int move_budget, const char *path, rp_error *err)
{
    if (!f || !path || !*path)
        return rp_error_set(err, RP_EINVALID, "mip", 0, 0, "no LP file name");
    rp_mip_opts o;
    rp_mip_opts_default(&o);
    o.move_budget = move_budget;
    rp_out w;
    if (rp_out_open(path, &w) < 0)
        return rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    rp_mip_result out = {0};
    mip_job j = {.f = f, .o = &o, .lp_path = w.name, .out = &out, .err = err};
    int rc = run_job(&j, build_body);
    if (rc == 0 && w.dest && !lp_complete(w.fd))
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: the LP file was cut short");
    if (rc < 0) {
        /* The error names the file GLPK wrote: the user's, not the temporary one. */
        if (err && !strcmp(err->file, w.name))
            snprintf(err->file, sizeof err->file, "%s", path);
        rp_out_abort(&w);
    } else if (rp_out_commit(&w) < 0) { /* whole or not at all: synced, then renamed */
        rc = rp_error_set(err, RP_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    return rc;
}
