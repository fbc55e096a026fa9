/* gen_model.c - the generator's random streams, load shapes and profile
 * synthesis. Every value an instance contributes is a pure function of
 * (seed, instance index), so passes can regenerate it instead of storing it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

uint64_t rp_gen_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void rp_gen_rng_init(rp_gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t st = seed;
    uint64_t mix = rp_gen_splitmix64(&st) ^ stream;
    for (int k = 0; k < 4; k++)
        r->s[k] = rp_gen_splitmix64(&mix);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rp_gen_rng_next(rp_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double rp_gen_rng_uniform(rp_gen_rng *r)
{
    return (double)(rp_gen_rng_next(r) >> 11) * 0x1.0p-53;
}

double rp_gen_rng_normal(rp_gen_rng *r)
{
    double u1 = 1.0 - rp_gen_rng_uniform(r); /* (0, 1] */
    double u2 = rp_gen_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double office(int h)
{
    /* 0.85 + 0.15 sin(pi (h - 8.5) / 8): a plateau with a midday hump */
    static const double day[8] = {0.879264, 0.933336, 0.97472,  0.997118,
                                  0.997118, 0.97472,  0.933336, 0.879264};
    if (h >= 9 && h <= 16)
        return day[h - 9];
    if (h == 8 || h == 17)
        return 0.45;
    if (h == 7 || h == 18)
        return 0.15;
    return 0.0;
}

double rp_gen_shape(int shape, int local_how, int heavy_day)
{
    int d = local_how / 24, h = local_how % 24;
    switch (shape) {
    case RP_GEN_OFFICE:
        return d < 5 ? office(h) : 0.0;
    case RP_GEN_BATCH:
        return (h >= 1 && h <= 4) ? 1.0 : (h == 0 || h == 5) ? 0.4 : 0.0;
    case RP_GEN_WEEKLY:
        return d < 5 ? office(h) * (d == heavy_day ? 1.0 : 0.35) : 0.0;
    default:
        return 1.0;
    }
}

static int mod(int a, int n)
{
    return ((a % n) + n) % n;
}

double rp_gen_shape_slot(int shape, int slot, int slots, int tz, int heavy_day)
{
    if (slots == 168)
        return rp_gen_shape(shape, mod(slot + tz, 168), heavy_day);
    double best = 0.0;
    for (int d = 0; d < 7; d++) {
        double s = rp_gen_shape(shape, mod(d * 24 + slot + tz, 168), heavy_day);
        best = s > best ? s : best;
    }
    return best;
}

static const double p10[] = {1, 10, 100, 1000};

/* v as n / 10^d: 3 significant digits, at most 3 decimals (a millicore or
 * a thousandth of a vCore is the finest unit worth writing). */
static long long quantize(double v, int *d)
{
    if (!(v >= 0.0005) || !isfinite(v)) {
        *d = 0;
        return 0;
    }
    *d = v < 1 ? 3 : v < 10 ? 2 : v < 100 ? 1 : 0;
    return llround(v * p10[*d]);
}

double rp__gen_round(double v)
{
    int d;
    long long n = quantize(v, &d);
    return (double)n / p10[d];
}

int rp_gen_format(double v, char *buf, double *rounded)
{
    int d;
    long long n = quantize(v, &d);
    if (rounded)
        *rounded = (double)n / p10[d];
    while (d > 0 && n % 10 == 0) {
        n /= 10;
        d--;
    }
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0 || k <= d);
    int len = 0;
    while (k > 0) {
        buf[len++] = tmp[--k];
        if (k == d && d > 0)
            buf[len++] = '.';
    }
    buf[len] = '\0';
    return len;
}

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
int64_t rp__gen_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rp__gen_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool follows_shape(int m)
{
    return m != RP_M_DB_STORAGE && m != RP_M_SHARE_GB;
}

/* The metric at intensity s: db_compute, cpu and iops follow the shape
 * above an idle floor, memory keeps a larger fixed part, storage is flat. */
static double metric_value(const rp__gen_inst *in, int m, double s)
{
    double b = in->base[m];
    if (m == RP_M_MEMORY)
        return b * (in->memfix + (1.0 - in->memfix) * s);
    if (follows_shape(m))
        return b * (in->idle + (1.0 - in->idle) * s);
    return b;
}

/* Hour of week (UTC) of the first sample. */
static int first_sample_how(const rp__gen *g)
{
    int64_t z = g->now_day - 7 * RP__GEN_WEEKS;
    return mod((int)((z + 3) % 7), 7) * 24; /* 1970-01-01 was a Thursday */
}

void rp__gen_samples(const rp__gen *g, size_t i, int m, double *out)
{
    const rp__gen_inst *in = &g->inst[i];
    rp_gen_rng r;
    rp_gen_rng_init(&r, g->o->seed, rp__gen_stream(i, RP__GEN_S_SAMPLES, m));
    int how0 = first_sample_how(g);
    for (int k = 0; k < RP__GEN_NSAMPLES; k++) {
        int local = mod(how0 + k + in->tz, 168);
        double v = metric_value(in, m, rp_gen_shape(in->shape, local, in->heavy_day));
        double z = rp_gen_rng_normal(&r);
        if (follows_shape(m))
            v *= fmax(0.0, 1.0 + 0.07 * z);
        else
            v *= (0.98 + 0.02 * k / (RP__GEN_NSAMPLES - 1)) * (1.0 + 0.002 * z);
        out[k] = rp__gen_round(v);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile per slot of the samples, as `reefplan profile` does.
 * Every slot holds the same number of samples (4 weeks divide evenly). */
static void profile_from_samples(const rp__gen *g, size_t i, int m, float *out)
{
    double smp[RP__GEN_NSAMPLES], bucket[RP__GEN_NSAMPLES];
    int cnt[168] = {0};
    int S = g->slots, per = RP__GEN_NSAMPLES / S;
    rp__gen_samples(g, i, m, smp);
    int how0 = first_sample_how(g);
    for (int k = 0; k < RP__GEN_NSAMPLES; k++) {
        int t = (how0 + k) % 168 % S;
        bucket[t * per + cnt[t]++] = smp[k];
    }
    size_t rank = (size_t)ceil(RP__GEN_QUANTILE * (double)per);
    for (int t = 0; t < S; t++) {
        qsort(bucket + t * per, (size_t)per, sizeof *bucket, cmp_double);
        out[t] = (float)bucket[t * per + (int)(rank ? rank - 1 : 0)];
    }
}

void rp__gen_profile(const rp__gen *g, size_t i, float *prof)
{
    const rp__gen_inst *in = &g->inst[i];
    int S = g->slots;
    if (in->flags & RP__GI_SAMPLED) {
        for (int m = 0; m < RP_NMETRICS; m++)
            profile_from_samples(g, i, m, prof + (size_t)m * (size_t)S);
        return;
    }
    double shp[168];
    for (int t = 0; t < S; t++)
        shp[t] = rp_gen_shape_slot(in->shape, t, S, in->tz, in->heavy_day);
    rp_gen_rng r;
    rp_gen_rng_init(&r, g->o->seed, rp__gen_stream(i, RP__GEN_S_PROFILE, 0));
    for (int m = 0; m < RP_NMETRICS; m++) {
        for (int t = 0; t < S; t++) {
            double v = metric_value(in, m, shp[t]);
            double u = rp_gen_rng_uniform(&r);
            if (follows_shape(m))
                v *= 1.0 + 0.08 * (u - 0.5);
            prof[(size_t)m * (size_t)S + (size_t)t] = (float)rp__gen_round(v);
        }
    }
}
