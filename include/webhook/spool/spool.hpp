#ifndef WEBHOOK_SPOOL_SPOOL_HPP
#define WEBHOOK_SPOOL_SPOOL_HPP

#include <webhook/spool/event_id.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace webhook {

/** One accepted event as a spool keeps it: everything needed to deliver it again after a
    restart, without the user's type. */
struct spool_record {
    /// Given by the spool's `append`; increasing in append order, never reused.
    std::uint64_t sequence = 0;
    /// The `webhook-id`, kept across restarts so that receivers can drop duplicates.
    event_id id;
    /// The endpoint's URL as configured (placeholders unexpanded), for operators.
    std::string endpoint;
    /// When the event was first accepted.
    std::chrono::system_clock::time_point created{};
    /// The request target when the URL has placeholders, else empty.
    std::string target;
    /// The event's JSON, without the data location (added per request).
    std::string payload;
    /// The event's own request headers (given to `post`), as `name: value\r\n` lines in
    /// order; empty for none.
    std::string headers;
    /// Dead letters only: the last HTTP status (0 for none) and why the event failed.
    int last_status = 0;
    std::string last_error;

    friend bool operator==(const spool_record&, const spool_record&) = default;
};

/** What a spool back end provides. All three may be called from any thread.

    - `append(r)` stores `r` (its `sequence` is ignored) and returns the sequence number it
      got, once the record is as durable as the back end promises; or an error, and then the
      record is not stored. A record is never visible to `read` before its append succeeded.
    - `ack(seq)` marks a record settled: it is never read again, and its space is reclaimed
      eventually.
    - `read(from, max, out)` replaces the contents of `out` with up to `max` unacknowledged
      records whose sequence is at least `from`, in sequence order (on start this is the
      replay; later it reads back what did not fit in memory). */
template <class S>
concept spool = requires(S& s, const spool_record& r, std::uint64_t seq, std::size_t max,
                         std::vector<spool_record>& out) {
    { s.append(r) } -> std::same_as<boost::system::result<std::uint64_t>>;
    { s.ack(seq) } -> std::same_as<boost::system::error_code>;
    { s.read(seq, max, out) } -> std::same_as<boost::system::error_code>;
};

/** Whether `S` is a spool that several processes read at once (it declares
    `static constexpr bool shared = true`, as `redis_spool` does). The dispatcher then reads it
    whenever it has room and polls it when it is empty, instead of counting its own appends:
    any process may deliver what another appended. `read`'s `from` is ignored, and a record's
    `sequence` is only a handle for `ack` in the process that read it. */
template <class S>
inline constexpr bool is_shared_spool_v = [] {
    if constexpr (requires { S::shared; })
        return bool(S::shared);
    else
        return false;
}();

/** Something the dispatcher's `post(event, appender)` can append one event to instead of its
    own spool: a spool, or the caller's transaction on a PostgreSQL outbox
    (`postgres_spool::in_transaction`). */
template <class A>
concept spool_appender = requires(A& a, const spool_record& r) {
    { a.append(r) } -> std::same_as<boost::system::result<std::uint64_t>>;
};

/** A shared handle to any `spool`, so that a dispatcher's options can name one without a
    template parameter. Empty by default: no spool, events are kept in memory only. */
class any_spool {
public:
    any_spool() = default;

    template <spool S>
    any_spool(std::shared_ptr<S> s) // NOLINT(google-explicit-constructor): a handle
        : impl_(s ? std::make_shared<model<S>>(std::move(s)) : nullptr),
          shared_(is_shared_spool_v<S>) {}

    explicit operator bool() const noexcept { return impl_ != nullptr; }

    /// Whether several processes read this spool (see `is_shared_spool_v`).
    bool shared() const noexcept { return shared_; }

    boost::system::result<std::uint64_t> append(const spool_record& r) const {
        return impl_->append(r);
    }
    boost::system::error_code ack(std::uint64_t seq) const { return impl_->ack(seq); }
    boost::system::error_code read(std::uint64_t from, std::size_t max,
                                   std::vector<spool_record>& out) const {
        return impl_->read(from, max, out);
    }
    /** Has the spool call `f`, for as long as it lives, when another process or transaction
        appended records (a spool with an `on_ready` member, such as `postgres_spool`); for
        others, nothing: the dispatcher polls them. */
    void on_ready(std::weak_ptr<const std::function<void()>> f) const {
        impl_->on_ready(std::move(f));
    }

private:
    struct concept_base {
        virtual ~concept_base() = default;
        virtual boost::system::result<std::uint64_t> append(const spool_record&) = 0;
        virtual boost::system::error_code ack(std::uint64_t) = 0;
        virtual boost::system::error_code read(std::uint64_t, std::size_t,
                                               std::vector<spool_record>&) = 0;
        virtual void on_ready(std::weak_ptr<const std::function<void()>>) = 0;
    };
    template <class S>
    struct model final : concept_base {
        explicit model(std::shared_ptr<S> s) : spool(std::move(s)) {}
        boost::system::result<std::uint64_t> append(const spool_record& r) override {
            return spool->append(r);
        }
        boost::system::error_code ack(std::uint64_t seq) override { return spool->ack(seq); }
        boost::system::error_code read(std::uint64_t from, std::size_t max,
                                       std::vector<spool_record>& out) override {
            return spool->read(from, max, out);
        }
        void on_ready(std::weak_ptr<const std::function<void()>> f) override {
            if constexpr (requires { spool->on_ready(std::move(f)); })
                spool->on_ready(std::move(f));
        }
        std::shared_ptr<S> spool;
    };

    std::shared_ptr<concept_base> impl_;
    bool shared_ = false;
};

} // namespace webhook

#endif
