#ifndef WEBHOOK_FUZZ_CHECK_HPP
#define WEBHOOK_FUZZ_CHECK_HPP

// What every target shares: a check that stops the fuzzer with a message, so that a broken
// invariant is reported (and its input saved) like a crash.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

#endif
