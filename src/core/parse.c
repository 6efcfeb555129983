#include "core/parse.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

size_t parse_skip_blanks(const char **p)
{
        const char *s = *p;
        while (is_blank(*s))
                s++;
        size_t n = (size_t) (s - *p);
        *p = s;
        return n;
}

int parse_u64(const char **p, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v = 0;

        while (is_blank(*s))
                s++;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        *p = s;
        return 0;
}

int parse_i64(const char **p, int64_t *ret)
{
        const char *s = *p;
        bool neg = false;
        uint64_t v;

        while (is_blank(*s))
                s++;
        if (*s == '-' || *s == '+')
                neg = *s++ == '-';
        if (is_blank(*s))
                return -EINVAL; /* "- 5" is not a number */
        int r = parse_u64(&s, &v);
        if (r < 0)
                return r;
        if (neg ? v > (uint64_t) INT64_MAX + 1 : v > (uint64_t) INT64_MAX)
                return -ERANGE;
        *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
        *p = s;
        return 0;
}

int parse_hex_u64(const char **p, uint64_t *ret)
{
        const char *s = *p;
        uint64_t v = 0;
        int n = 0;

        while (is_blank(*s))
                s++;
        for (;; s++, n++) {
                unsigned d;
                if (*s >= '0' && *s <= '9')
                        d = (unsigned) (*s - '0');
                else if (*s >= 'a' && *s <= 'f')
                        d = (unsigned) (*s - 'a' + 10);
                else if (*s >= 'A' && *s <= 'F')
                        d = (unsigned) (*s - 'A' + 10);
                else
                        break;
                if (v >> 60)
                        return -ERANGE;
                v = (v << 4) | d;
        }
        if (n == 0)
                return -EINVAL;
        *ret = v;
        *p = s;
        return 0;
}

/* strtod() follows LC_NUMERIC; numbers in kernel files, CSV and config never use a decimal
 * comma, so parse in the C locale whatever the process set. */
static locale_t c_locale(void)
{
        static locale_t loc;

        if (!loc)
                loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
        return loc;
}

int parse_double(const char **p, double *ret)
{
        const char *s = *p, *d;
        char *end;

        while (is_blank(*s))
                s++;
        /* strtod would accept leading newlines, hex floats, "nan" and "inf" spelled any way;
         * numbers in kernel files and CSV cells never need those. The checks are on what
         * follows the sign, since "-inf" and "+0x1p3" are strtod numbers too. */
        d = s + (*s == '-' || *s == '+');
        if (!((*d >= '0' && *d <= '9') || *d == '.'))
                return -EINVAL;
        if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
                return -EINVAL;
        locale_t loc = c_locale();
        if (!loc)
                return -ENOMEM;
        errno = 0;
        double v = strtod_l(s, &end, loc);
        if (end == s)
                return -EINVAL;
        if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
                return -ERANGE;
        *ret = v;
        *p = end;
        return 0;
}

int parse_skip_fields(const char **p, unsigned n)
{
        const char *s = *p;

        for (unsigned i = 0; i < n; i++) {
                while (is_blank(*s))
                        s++;
                if (*s == '\0' || *s == '\n')
                        return -EINVAL;
                while (*s && !is_blank(*s) && *s != '\n')
                        s++;
        }
        while (is_blank(*s))
                s++;
        *p = s;
        return 0;
}

void parse_skip_line(const char **p)
{
        const char *nl = strchr(*p, '\n');
        *p = nl ? nl + 1 : *p + strlen(*p);
}

size_t parse_word(const char **p, const char **ret_word)
{
        const char *s = *p;

        while (is_blank(*s))
                s++;
        const char *start = s;
        while (*s && !is_blank(*s) && *s != '\n')
                s++;
        *ret_word = start;
        *p = s;
        return (size_t) (s - start);
}

bool parse_startswith(const char *p, const char *prefix)
{
        return strncmp(p, prefix, strlen(prefix)) == 0;
}

static int finish(const char *s)
{
        while (is_blank(*s) || *s == '\n')
                s++;
        return *s == '\0' ? 0 : -EINVAL;
}

int safe_atou64(const char *s, uint64_t *ret)
{
        uint64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_u64(&s, &v);
        if (r < 0)
                return r;
        r = finish(s);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int safe_atoi64(const char *s, int64_t *ret)
{
        int64_t v;
        if (!s)
                return -EINVAL;
        int r = parse_i64(&s, &v);
        if (r < 0)
                return r;
        r = finish(s);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int safe_atoi(const char *s, int *ret)
{
        int64_t v;
        int r = safe_atoi64(s, &v);
        if (r < 0)
                return r;
        if (v < INT32_MIN || v > INT32_MAX)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret)
{
        uint64_t v;
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int safe_atod(const char *s, double *ret)
{
        double v;
        if (!s)
                return -EINVAL;
        int r = parse_double(&s, &v);
        if (r < 0)
                return r;
        r = finish(s);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int parse_size_bytes(const char *s, uint64_t *ret)
{
        static const char units[] = "KMGTPE";
        uint64_t v, mult = 1;

        if (!s)
                return -EINVAL;
        int r = parse_u64(&s, &v);
        if (r < 0)
                return r;
        parse_skip_blanks(&s);
        if (*s) {
                const char *u = strchr(units, *s >= 'a' ? *s - 32 : *s);
                if (u) {
                        for (const char *q = units; q <= u; q++)
                                mult *= 1024;
                        s++;
                        if (*s == 'i')
                                s++;
                }
                if (*s == 'B' || *s == 'b')
                        s++;
        }
        r = finish(s);
        if (r < 0)
                return r;
        if (v > UINT64_MAX / mult)
                return -ERANGE;
        *ret = v * mult;
        return 0;
}

int parse_boolean(const char *s, bool *ret)
{
        static const char *const yes[] = {"yes", "true", "on", "1", "y"};
        static const char *const no[] = {"no", "false", "off", "0", "n"};

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}
