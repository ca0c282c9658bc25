#include <webhook/auth/detail/token_cache.hpp>

#define BOOST_TEST_MODULE auth_token_cache
#include <boost/test/unit_test.hpp>

#include "support/explicit_clock.hpp"

#include <chrono>
#include <optional>

// The token's life cycle step by step, as the dispatcher drives it: each test calls the cache
// as requests arrive, tokens come back and receivers answer, at times it makes up. No sockets,
// no clocks: the clock is never read.

using namespace std::chrono_literals;
namespace wd = webhook::detail;

namespace {

using test_clock = webhook::test::explicit_clock<std::chrono::milliseconds>;
using cache = wd::token_cache<test_clock>;
using state = cache::state;

constexpr test_clock::time_point t0{1'000'000ms};

webhook::access_token token(const char* value, std::optional<std::chrono::seconds> life) {
    // As the OAuth scheme reads it: the cache sends the header value it is given.
    return {value, std::string("Bearer ") + value, life};
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_life_cycle)

BOOST_AUTO_TEST_CASE(the_first_request_fetches_and_then_the_token_is_ready) {
    cache c(60s);
    BOOST_TEST(c.generation() == 0u);
    BOOST_TEST((c.acquire(t0) == state::fetch));
    c.fetched(token("tok-1", 3600s), t0 + 1s);
    BOOST_TEST((c.acquire(t0 + 1s) == state::ready));
    BOOST_TEST(c.authorization() == "Bearer tok-1");
    BOOST_TEST(c.generation() == 1u);
    BOOST_TEST((c.acquire(t0 + 2s) == state::ready)); // kept: no second fetch
    BOOST_TEST(c.generation() == 1u);
}

BOOST_AUTO_TEST_CASE(requests_that_come_during_a_fetch_wait_for_it_and_share_the_token) {
    cache c(60s);
    BOOST_TEST((c.acquire(t0) == state::fetch));
    for (int i = 0; i < 5; ++i) // however many: one token request
        BOOST_TEST((c.acquire(t0 + std::chrono::milliseconds(i)) == state::wait));
    c.fetched(token("tok-1", 3600s), t0 + 1s);
    // The waiters are resumed by the caller and find the one token.
    for (int i = 0; i < 6; ++i)
        BOOST_TEST((c.acquire(t0 + 1s) == state::ready));
    BOOST_TEST(c.generation() == 1u);
}

BOOST_AUTO_TEST_CASE(a_token_expires_the_refresh_skew_before_its_end) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    c.fetched(token("tok-1", 120s), t0); // replaced at 120 - 60 s
    BOOST_TEST((c.acquire(t0 + 59s) == state::ready));
    BOOST_TEST((c.acquire(t0 + 60s - 1ms) == state::ready));
    BOOST_TEST((c.acquire(t0 + 60s) == state::fetch));
    BOOST_TEST((c.acquire(t0 + 60s) == state::wait));
    c.fetched(token("tok-2", 120s), t0 + 61s);
    BOOST_TEST((c.acquire(t0 + 61s) == state::ready));
    BOOST_TEST(c.authorization() == "Bearer tok-2");
    BOOST_TEST(c.generation() == 2u);
}

BOOST_AUTO_TEST_CASE(a_token_shorter_than_the_skew_lives_half_its_life_and_a_second_at_least) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    c.fetched(token("short", 30s), t0);
    BOOST_TEST((c.acquire(t0 + 15s - 1ms) == state::ready));
    BOOST_TEST((c.acquire(t0 + 15s) == state::fetch));
    c.fetched(token("instant", 0s), t0 + 20s); // never a fetch loop: one second at least
    BOOST_TEST((c.acquire(t0 + 21s - 1ms) == state::ready));
    BOOST_TEST((c.acquire(t0 + 21s) == state::fetch));
}

BOOST_AUTO_TEST_CASE(a_token_without_a_lifetime_is_kept_until_refused) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    c.fetched(token("tok-1", std::nullopt), t0);
    BOOST_TEST((c.acquire(t0 + 24h * 365) == state::ready));
}

BOOST_AUTO_TEST_CASE(the_first_401_of_a_request_drops_the_token_once) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    c.fetched(token("tok-1", 3600s), t0);
    const auto carried = c.generation();
    bool refused_once = false;
    // Other answers are the request's own.
    for (const int status : {0, 200, 403, 500})
        BOOST_TEST(!c.refused_by(status, carried, refused_once));
    BOOST_TEST(!refused_once);
    BOOST_TEST((c.acquire(t0 + 1s) == state::ready));

    BOOST_TEST(c.refused_by(401, carried, refused_once)); // send once more, with a new token
    BOOST_TEST(refused_once);
    BOOST_TEST((c.acquire(t0 + 1s) == state::fetch));
    c.fetched(token("tok-2", 3600s), t0 + 2s);
    BOOST_TEST((c.acquire(t0 + 2s) == state::ready));
    // The same request refused again: an answer like any other, the token stays.
    BOOST_TEST(!c.refused_by(401, c.generation(), refused_once));
    BOOST_TEST((c.acquire(t0 + 3s) == state::ready));
    BOOST_TEST(c.authorization() == "Bearer tok-2");
}

BOOST_AUTO_TEST_CASE(a_401_for_an_older_token_keeps_the_newer_one) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    c.fetched(token("tok-1", 3600s), t0);
    const auto old = c.generation();
    bool first = false, second = false;
    BOOST_TEST(c.refused_by(401, old, first));
    BOOST_REQUIRE((c.acquire(t0 + 1s) == state::fetch));
    c.fetched(token("tok-2", 3600s), t0 + 1s);
    // A second request that carried tok-1 is refused after tok-2 came: tok-2 stays, and that
    // request goes again (with tok-2).
    BOOST_TEST(c.refused_by(401, old, second));
    BOOST_TEST((c.acquire(t0 + 2s) == state::ready));
    BOOST_TEST(c.authorization() == "Bearer tok-2");
}

BOOST_AUTO_TEST_CASE(a_failed_fetch_ends_the_wait_and_the_next_request_fetches_again) {
    cache c(60s);
    BOOST_REQUIRE((c.acquire(t0) == state::fetch));
    BOOST_TEST((c.acquire(t0) == state::wait));
    c.failed();
    BOOST_TEST(c.generation() == 0u); // no token
    BOOST_TEST((c.acquire(t0 + 1s) == state::fetch));
    c.failed();
    // A failure after a token leaves no valid token behind once it expired.
    BOOST_TEST((c.acquire(t0 + 2s) == state::fetch));
    c.fetched(token("tok-1", 120s), t0 + 2s);
    BOOST_TEST((c.acquire(t0 + 62s) == state::fetch));
    c.failed();
    BOOST_TEST((c.acquire(t0 + 62s) == state::fetch));
    BOOST_TEST(c.generation() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
