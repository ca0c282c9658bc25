#ifndef WEBHOOK_AUTH_DETAIL_TOKEN_CACHE_HPP
#define WEBHOOK_AUTH_DETAIL_TOKEN_CACHE_HPP

#include <webhook/auth/access_token.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

// The life of a token that requests carry, without I/O: which request fetches it, who waits,
// when it expires, when a receiver's 401 makes it stale. The dispatcher does the I/O (the token
// request that `request_authenticator` makes, and its answer, which it reads).
namespace webhook::detail {

/** The dispatcher's cached token and whether a fetch runs, so that any number of requests
    share one token request. Pure state over `Clock` (only its `time_point` is used; it is
    never read): the caller does the I/O and holds the lock.

    The life cycle, step by step:
    - `acquire` says `fetch` to the first request that finds no valid token, `wait` to those
      that come while that fetch runs, and `ready` once a token is there and not expired;
    - `fetched` stores the token (valid until `expires_in` less the refresh skew), `failed`
      ends the fetch without one (the next `acquire` fetches again);
    - `refused_by` tells whether a receiver's answer refuses the token a request carried: the
      first 401 of a request drops that token, and the request goes once more with a new one. */
template <class Clock>
class token_cache {
public:
    using time_point = typename Clock::time_point;
    enum class state { ready, fetch, wait };

    explicit token_cache(std::chrono::seconds refresh_skew) : skew_(refresh_skew) {}

    /** `ready`: use `authorization()`; `fetch`: the caller starts the one token request and
        later calls `fetched` or `failed`; `wait`: a token request runs already. */
    state acquire(time_point now) {
        if (fetching_)
            return state::wait;
        if (valid_ && (!expires_ || now < *expires_))
            return state::ready;
        fetching_ = true;
        return state::fetch;
    }

    void fetched(const access_token& t, time_point now) {
        fetching_ = false;
        valid_ = true;
        ++generation_;
        authorization_ = t.authorization;
        expires_.reset();
        if (t.expires_in) {
            // Replaced `skew` early; a token that lives less than the skew is used for half
            // its life, and any for a second at least, so that fetches cannot run in a loop.
            const auto life = *t.expires_in > skew_ ? *t.expires_in - skew_ : *t.expires_in / 2;
            expires_ = now + std::max(life, std::chrono::seconds(1));
        }
    }

    void failed() { fetching_ = false; }

    /// A receiver refused the token of `generation`: fetch a new one, unless that happened.
    void refused(std::uint64_t generation) {
        if (generation == generation_)
            valid_ = false;
    }

    /** A receiver answered `status` to a request that carried the token of `generation`.
        True when the answer refuses the token (401) and did not for this request before
        (`refused_once`, the request's own flag, is then set): the token is dropped (unless a
        newer one came meanwhile) and the request is to go once more, with a new token, at
        once. False otherwise: the answer is the request's like any other. */
    bool refused_by(int status, std::uint64_t generation, bool& refused_once) {
        if (status != 401 || refused_once)
            return false;
        refused_once = true;
        refused(generation);
        return true;
    }

    /// `Bearer <token>`; valid after `acquire` said `ready`.
    const std::string& authorization() const noexcept { return authorization_; }
    /// Changes with every token fetched: a request knows whether its header is current.
    std::uint64_t generation() const noexcept { return generation_; }

private:
    std::chrono::seconds skew_;
    std::string authorization_;
    std::optional<time_point> expires_;
    std::uint64_t generation_ = 0;
    bool valid_ = false;
    bool fetching_ = false;
};

} // namespace webhook::detail

#endif
