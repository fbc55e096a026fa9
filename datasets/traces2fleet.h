/* traces2fleet.h - shared by datasets/traces2fleet.c (options, reading the
 * trace, main) and datasets/traces2fleet_fleet.c (profiles, instances and
 * the fleet's files). Internal to the traces2fleet program. */
#ifndef T2F_H
#define T2F_H

#include <stdint.h>

#include "base.h"
#include "error.h"

enum { K_PLANETLAB, K_AZURE_AVG, K_AZURE_MAX, K_AZURE_PERIODIC, K_N };
extern const char *const t2f_kind_names[K_N];

typedef struct t2f_opts {
    int kind, slots;
    long instances; /* 0 = one per VM */
    uint64_t seed;
    const char *in, *out;
} t2f_opts;

/* One utilisation sample (percent) in a profile slot. */
typedef struct t2f_sample {
    uint16_t slot;
    float v;
} t2f_sample;

typedef struct t2f_vm {
    char *name;
    rp_vec samples; /* t2f_sample */
    rp_vec dates;   /* long, PlanetLab days seen (duplicate check) */
} t2f_vm;

typedef struct t2f_trace {
    rp_vec vms;  /* t2f_vm, in order of first appearance */
    size_t *tab; /* open addressing on name: vm index + 1, 0 = empty */
    size_t tabcap;
    int slots;
    const char *path; /* the input file */
} t2f_trace;

/* Makes the instances of trace t (o->instances, o->seed) and writes the fleet
 * directory o->out: fleet.json, instances.csv, profiles.csv, built in a
 * temporary sibling and renamed into place, so it appears whole or not at
 * all. o->out must not exist or be an empty directory (else RP_EUSAGE).
 * *n receives the number of instances. Returns 0, RP_EUSAGE, the catalog
 * loader's error, or RP_EIO when a file cannot be written. */
int t2f_write_fleet(const t2f_trace *t, const t2f_opts *o, size_t *n, rp_error *err);

#endif
