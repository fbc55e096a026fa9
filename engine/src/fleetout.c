/* fleetout.c - writes the fleet as it will be after a plan (see fleetout.h).
 *
 * fleet.json is f's own file re-read with jansson and only its "reefs"
 * replaced, so settings, plans and regions stay exactly as the user wrote
 * them. instances.csv is written field by field; a field that needs quoting
 * goes through libcsv's csv_fwrite. */
#include "fleetout.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonpos.h"
#include "profile.h"
#include "timefmt.h"

static int io_error(rp_error *err, const char *path, const char *what)
{
    return rp_error_set(err, RP_EIO, path, 0, 0, "%s: %s", what, strerror(errno));
}

/* ---- fleet.json ------------------------------------------------------- */

/* True when every real in j prints back exactly with 15 significant digits
 * (then the file keeps "0.3" rather than "0.29999999999999999"). */
static bool reals_short(const json_t *j)
{
    const char *key;
    json_t *v;
    size_t k;
    char buf[40];
    switch (json_typeof(j)) {
    case JSON_REAL:
        snprintf(buf, sizeof buf, "%.15g", json_real_value(j));
        return strtod(buf, NULL) == json_real_value(j);
    case JSON_OBJECT:
        json_object_foreach((json_t *)j, key, v)
        {
            if (!reals_short(v))
                return false;
        }
        return true;
    case JSON_ARRAY:
        json_array_foreach(j, k, v)
        {
            if (!reals_short(v))
                return false;
        }
        return true;
    default:
        return true;
    }
}

static json_t *reef_json(const rp_fleet *f, const rp_plan_reef *pr)
{
    const rp_catalog *c = f->cat;
    const char *state =
        pr->fleet_reef >= 0 ? rp_reef_state_names[f->reefs[pr->fleet_reef].state] : "active";
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "name", pr->name, "region",
                     f->regions[pr->region].name, "template", c->templates[pr->template_idx].name,
                     "state", state, "pool_sku", c->pools[pr->pool].sku, "nodes", pr->nodes);
}

/* A catalog named by path is made absolute: a relative path would resolve
 * against the new directory. */
static void fix_catalog(const rp_fleet *f, json_t *root)
{
    const char *name = json_string_value(json_object_get(root, "catalog"));
    if (!name || (!strchr(name, '/') && !strstr(name, ".json")))
        return;
    char *abs = realpath(f->catalog_path, NULL);
    json_object_set_new(root, "catalog", json_string(abs ? abs : f->catalog_path));
    free(abs);
}

static int write_fleet_json(const rp_fleet *f, const rp_plan *p, const char *tmp, rp_error *err)
{
    /* fleet.json as it was read, not as it may be now. */
    json_t *root = json_deep_copy(f->json);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return rp_error_set(err, RP_EINTERNAL, f->dir, 0, 0, "fleet.json not kept in memory");
    }
    json_t *reefs = json_array();
    for (size_t r = 0; r < p->nreefs; r++)
        if (!p->reefs[r].deleted)
            json_array_append_new(reefs, reef_json(f, &p->reefs[r]));
    json_object_set_new(root, "reefs", reefs);
    fix_catalog(f, root);
    size_t flags =
        JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(reals_short(root) ? 15 : 17);
    char *text = json_dumps(root, flags);
    json_decref(root);
    char *path = rp_xasprintf("%s/fleet.json", tmp);
    char *data = rp_xasprintf("%s\n", text);
    int rc = rp_write_file_atomic(path, data, strlen(data)) < 0
                 ? io_error(err, path, "cannot write")
                 : 0;
    free(text);
    free(data);
    free(path);
    return rc;
}

/* ---- instances.csv ---------------------------------------------------- */

static void put_value(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(fp, s, strlen(s));
    else
        fputs(s, fp);
}

static void put_field(FILE *fp, const char *s, bool last)
{
    put_value(fp, s);
    fputc(last ? '\n' : ',', fp);
}

/* A date when t is midnight UTC, else a full timestamp; "" for none. */
static void format_moved(int64_t t, char buf[24])
{
    buf[0] = '\0';
    if (t == RP_NO_TIME)
        return;
    rp_time_format(t, buf);
    if (!strcmp(buf + 10, "T00:00:00Z"))
        buf[10] = '\0';
}

/* The inverse of rp_window_parse: "Sun 02:00-04:00", "" for none. A
 * window is at most a day long (rp_window_parse takes one day's times). */
static void format_window(const rp_window *w, char buf[24])
{
    static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    buf[0] = '\0';
    if (w->start < 0)
        return;
    int a = w->start % 1440, dur = ((w->end - w->start) % 10080 + 10080) % 10080;
    if (dur == 0)
        dur = 10080;
    int b = (a + dur) % 1440; /* "22:00-00:00" as users write it ... */
    if (b == a)
        b = a + 1440; /* ... but a whole day is "00:00-24:00" */
    snprintf(buf, 24, "%s %02d:%02d-%02d:%02d", days[(w->start / 1440) % 7], a / 60, a % 60, b / 60,
             b % 60);
}

static int64_t midnight(int64_t t)
{
    int64_t d = t / 86400 - (t % 86400 < 0);
    return d * 86400;
}

static void write_instance(FILE *fp, const rp_fleet *f, const rp_plan *p, size_t i,
                           const rp_placement *pl)
{
    static const char *const tier[2] = {"shared", "dedicated"};
    const rp_instance *in = &f->inst[i];
    char moved[24], win[24];
    put_field(fp, in->id, false);
    put_field(fp, f->regions[in->region].name, false);
    put_field(fp, f->plans[in->plan].name, false);
    /* Unplaced: a new instance stays new; one of a reef (broken: the plan
     * keeps that reef for it) stays where it is, at its tiers. */
    bool stays = !pl && in->reef >= 0;
    put_field(fp, pl ? p->reefs[pl->reef].name : stays ? f->reefs[in->reef].name : "", false);
    for (int t = 0; t < RP_NTIERS; t++)
        put_field(fp,
                  pl      ? tier[pl->tier[t] ? 1 : 0]
                  : stays ? tier[in->tier[t] ? 1 : 0]
                          : "",
                  false);
    put_field(fp, in->pinned ? "true" : "false", false);
    put_field(fp, in->group >= 0 ? f->groups[in->group] : "", false);
    bool moves = pl && in->reef >= 0 && p->reefs[pl->reef].fleet_reef != in->reef;
    format_moved(moves ? midnight(f->set.now) : in->last_moved, moved);
    put_field(fp, moved, false);
    format_window(&in->window, win);
    put_field(fp, win, f->nx_cols == 0);
    const char *x = f->inst_x ? f->inst_x[i] : NULL;
    for (size_t k = 0; x && k < f->nx_cols; k++, x += strlen(x) + 1)
        put_field(fp, x, k + 1 == f->nx_cols);
}

static int write_instances(const rp_fleet *f, const rp_plan *p, const char *tmp, rp_error *err)
{
    const rp_placement **at = rp_xcalloc(f->ninst + 1, sizeof *at);
    for (size_t k = 0; k < p->nplace; k++)
        at[p->place[k].inst] = &p->place[k];
    char *path = rp_xasprintf("%s/instances.csv", tmp);
    FILE *fp = fopen(path, "w");
    int rc = 0;
    if (!fp) {
        rc = io_error(err, path, "cannot create");
    } else {
        fputs("instance_id,region,plan,reef,db,compute,storage,pinned,group,last_moved,window", fp);
        for (size_t k = 0; k < f->nx_cols; k++) {
            fputc(',', fp);
            put_value(fp, f->x_cols[k]);
        }
        fputc('\n', fp);
        for (size_t i = 0; i < f->ninst; i++)
            write_instance(fp, f, p, i, at[i]);
        if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) < 0)
            rc = io_error(err, path, "cannot write");
        if (fclose(fp) != 0 && rc == 0)
            rc = io_error(err, path, "cannot write");
    }
    free(path);
    free(at);
    return rc;
}

/* ---- the directory ---------------------------------------------------- */

static char *strip_slashes(const char *dir)
{
    char *base = rp_xstrdup(dir);
    for (size_t n = strlen(base); n > 1 && base[n - 1] == '/';)
        base[--n] = '\0';
    return base;
}

int rp_outdir_check(const char *dir, rp_error *err)
{
    char *base = strip_slashes(dir);
    int rc = 0;
    struct stat st;
    /* The directory is renamed into place: that replaces a symbolic link,
     * not the directory it names, and cannot replace ".", ".." or "/". */
    const char *last = strrchr(base, '/') ? strrchr(base, '/') + 1 : base;
    if (!strcmp(last, ".") || !strcmp(last, "..") || !last[0]) {
        rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0,
                          "cannot be replaced: name a new or empty directory by its own name");
    } else if (lstat(base, &st) == 0 && S_ISLNK(st.st_mode)) {
        rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0,
                          "is a symbolic link: name the directory itself");
    } else if (stat(base, &st) == 0) {
        DIR *d = S_ISDIR(st.st_mode) ? opendir(base) : NULL;
        if (!S_ISDIR(st.st_mode)) {
            rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0, "output exists and is not a directory");
        } else if (!d) {
            rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0, "cannot use as output directory: %s",
                              strerror(errno));
        } else {
            struct dirent *e;
            bool nonempty = false;
            while ((e = readdir(d)))
                nonempty |= strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
            closedir(d);
            if (nonempty)
                rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0,
                                  "output directory exists and is not empty");
        }
    } else if (errno != ENOENT) {
        rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0, "cannot use as output directory: %s",
                          strerror(errno));
    }
    /* The directory is made next to it and renamed into place. */
    char *parent = rp_dir_of(base);
    if (rc == 0 && access(parent, W_OK | X_OK) < 0)
        rc = rp_error_set(err, RP_EUSAGE, dir, 0, 0, "cannot create a directory in %s: %s", parent,
                          strerror(errno));
    free(parent);
    free(base);
    return rc;
}

int rp_outdir_stage(const char *dir, char **tmp, rp_error *err)
{
    *tmp = NULL;
    int rc = rp_outdir_check(dir, err);
    if (rc < 0)
        return rc;
    char *base = strip_slashes(dir);
    char *t = rp_xasprintf("%s.tmp.XXXXXX", base);
    if (!mkdtemp(t)) {
        rc = io_error(err, base, "cannot create a directory next to it");
        free(t);
    } else {
        *tmp = t;
    }
    free(base);
    return rc;
}

void rp_outdir_discard(char *tmp)
{
    if (!tmp)
        return;
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                char *p = rp_xasprintf("%s/%s", tmp, e->d_name);
                unlink(p);
                free(p);
            }
        closedir(d);
    }
    rmdir(tmp);
    free(tmp);
}

int rp_outdir_commit(char *tmp, const char *dir, rp_error *err)
{
    char *base = strip_slashes(dir);
    int rc = 0;
    if (chmod(tmp, 0755) < 0 || rename(tmp, base) < 0) {
        rc = io_error(err, base, "cannot create");
        rp_outdir_discard(tmp);
    } else {
        free(tmp);
    }
    free(base);
    return rc;
}

int rp_fleet_stage_target(const rp_fleet *f, const rp_plan *p, const char *dir, char **staged,
                          rp_error *err)
{
    char *tmp;
    int rc = rp_outdir_stage(dir, &tmp, err);
    if (rc < 0)
        return rc;
    char *prof = rp_xasprintf("%s/profiles.csv", tmp);
    if ((rc = write_fleet_json(f, p, tmp, err)) == 0 && (rc = write_instances(f, p, tmp, err)) == 0)
        rc = rp_profiles_write(f, prof, err);
    free(prof);
    if (rc < 0) {
        rp_outdir_discard(tmp);
        tmp = NULL;
    }
    *staged = tmp;
    return rc;
}

int rp_fleet_commit_target(char *staged, const char *dir, rp_error *err)
{
    return rp_outdir_commit(staged, dir, err);
}

void rp_fleet_discard_target(char *staged)
{
    rp_outdir_discard(staged);
}

int rp_fleet_write_target(const rp_fleet *f, const rp_plan *p, const char *dir, rp_error *err)
{
    char *staged;
    int rc = rp_fleet_stage_target(f, p, dir, &staged, err);
    return rc < 0 ? rc : rp_fleet_commit_target(staged, dir, err);
}
