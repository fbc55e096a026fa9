/* pack_bound.c - the lower bound of the packing kernel (see pack.h):
 * Martello and Toth's L2 per dimension when the bins are alike in it. */
#include <math.h>
#include <stdlib.h>

#include "base.h"
#include "pack.h"

static int cmp_double_asc(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Items with weight in (lo, hi] of the ascending array v (prefix sums ps). */
static int count_in(const double *v, int n, double lo, double hi, const double *ps, double *sum)
{
    int a = 0, b = 0, l = 0, h = n;
    while (l < h) { /* first index with v > lo */
        int m = (l + h) / 2;
        if (v[m] > lo) h = m; else l = m + 1;
    }
    a = l;
    l = a, h = n;
    while (l < h) { /* first index with v > hi */
        int m = (l + h) / 2;
        if (v[m] > hi) h = m; else l = m + 1;
    }
    b = l;
    *sum = ps[b] - ps[a];
    return b - a;
}

static long ceil_tol(double x)
{
    return (long)ceil(x - 1e-9 * fmax(1.0, fabs(x)));
}

/* Martello-Toth L2 for one dimension of capacity c. */
static long bound_l2(const double *v, int n, double c, const double *ps)
{
    long best = ceil_tol(ps[n] / c);
    double half = c / 2, s1, s2, s3;
    for (int j = -1; j < n; j++) {
        double alpha = j < 0 ? 0 : v[j];
        if (alpha > half)
            break;
        if (j > 0 && v[j] == v[j - 1])
            continue;
        int n1 = count_in(v, n, c - alpha, INFINITY, ps, &s1);
        int n2 = count_in(v, n, half, c - alpha, ps, &s2);
        count_in(v, n, alpha - 1e-12 * c, half, ps, &s3);
        double rest = s3 - ((double)n2 * c - s2);
        long l = n1 + n2 + (rest > 0 ? ceil_tol(rest / c) : 0);
        best = l > best ? l : best;
    }
    return best;
}

long rp_l2_bound(double *v, int n, double c)
{
    if (n <= 0 || !(c > 0))
        return 0;
    /* A capacity a hair larger keeps the bound valid when a load sits at a
     * limit up to the RP_EPS slack that the capacity checks allow. */
    c *= 1 + 2e-6;
    qsort(v, (size_t)n, sizeof(double), cmp_double_asc);
    double *ps = rp_xmalloc(((size_t)n + 1) * sizeof(double));
    ps[0] = 0;
    for (int i = 0; i < n; i++)
        ps[i + 1] = ps[i] + v[i];
    long l = bound_l2(v, n, c, ps);
    free(ps);
    return l;
}

int rp_pack_bound(const rp_pack *p)
{
    long best = 0;
    double *v = rp_xmalloc(((size_t)p->n + 1) * sizeof(double));
    for (int x = 0; x < p->d; x++) {
        double cmax = 0, cmin = INFINITY, sum = 0;
        for (int b = 0; b < p->nb; b++) {
            double c = p->cap[(size_t)b * (size_t)p->d + (size_t)x];
            cmax = fmax(cmax, c);
            cmin = fmin(cmin, c);
        }
        if (!(cmax > 0))
            continue;
        for (int i = 0; i < p->n; i++)
            sum += v[i] = p->w[(size_t)i * (size_t)p->d + (size_t)x];
        long l = cmin == cmax ? rp_l2_bound(v, p->n, cmax)
                              : ceil_tol(sum / (cmax * (1 + 2e-6)));
        best = l > best ? l : best;
    }
    free(v);
    return (int)best;
}
