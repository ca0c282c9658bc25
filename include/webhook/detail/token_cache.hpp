#ifndef WEBHOOK_DETAIL_TOKEN_CACHE_HPP
#define WEBHOOK_DETAIL_TOKEN_CACHE_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

// The OAuth 2.0 token's life in a dispatcher, without I/O: which request fetches it, who waits,
// when it expires, when a receiver's 401 makes it stale.
namespace webhook::detail {

/// An access token from a token endpoint.
struct oauth_token {
    std::string access_token;
    /// Absent when the server does not say: the token is kept until a receiver refuses it.
    std::optional<std::chrono::seconds> expires_in;
};

/** The dispatcher's cached access token and whether a fetch runs, so that any number of
    requests share one token request. Pure state over `Clock`: the caller does the I/O and
    holds the lock. */
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

    void fetched(const oauth_token& t, time_point now) {
        fetching_ = false;
        valid_ = true;
        ++generation_;
        authorization_.assign("Bearer ").append(t.access_token);
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
