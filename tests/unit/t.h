/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a small TAP harness for unit tests.
 *
 * A test file defines TEST(name) { ... } functions and ends with T_MAIN(),
 * listing them. Each T_* check that fails prints a diagnostic; a test with
 * a failed check is "not ok". Run by Automake's tap-driver.
 */
#ifndef SV_TESTS_T_H
#define SV_TESTS_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_checks;

#define TEST(name) static void test_##name(void)

#define T_FAIL_(fmt, ...)                                                         \
    do {                                                                          \
        t_failed_checks++;                                                        \
        printf("# %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);            \
    } while (0)

#define T_TRUE(c)                                                                 \
    do {                                                                          \
        if (!(c))                                                                 \
            T_FAIL_("expected true: %s", #c);                                     \
    } while (0)

#define T_EQ(a, b)                                                                \
    do {                                                                          \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                   \
        if (t_a_ != t_b_)                                                         \
            T_FAIL_("%s == %s: %lld != %lld", #a, #b, t_a_, t_b_);                \
    } while (0)

#define T_STREQ(a, b)                                                             \
    do {                                                                          \
        const char *t_a_ = (a), *t_b_ = (b);                                      \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                            \
            T_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a_ ? t_a_ : "(null)", \
                    t_b_ ? t_b_ : "(null)");                                      \
    } while (0)

#define T_MEMEQ(a, b, n)                                                          \
    do {                                                                          \
        if (memcmp((a), (b), (n)) != 0)                                           \
            T_FAIL_("%s and %s differ in %zu bytes", #a, #b, (size_t)(n));        \
    } while (0)

struct t_case {
    const char *name;
    void (*fn)(void);
};

#define T_CASE(name) { #name, test_##name }

static inline int t_run(const struct t_case *cases, size_t n)
{
    int bad = 0;

    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        int before = t_failed_checks;

        cases[i].fn();
        if (t_failed_checks != before) {
            printf("not ok %zu - %s\n", i + 1, cases[i].name);
            bad++;
        } else {
            printf("ok %zu - %s\n", i + 1, cases[i].name);
        }
        fflush(stdout);
    }
    return bad ? 1 : 0;
}

#define T_MAIN(...)                                                               \
    int main(void)                                                                \
    {                                                                             \
        static const struct t_case t_cases_[] = { __VA_ARGS__ };                  \
        return t_run(t_cases_, sizeof t_cases_ / sizeof t_cases_[0]);             \
    }

/* Directory of the source tree (set by the test environment), for testdata. */
static inline const char *t_srcdir(void)
{
    const char *s = getenv("top_srcdir");

    return s ? s : ".";
}

#endif
