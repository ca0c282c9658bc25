#ifndef WEBHOOK_HUB_HUB_HPP
#define WEBHOOK_HUB_HUB_HPP

/** @file
    `webhook::hub`: many endpoints, each subscribed to some event types, each with its own
    lane (a dispatcher: queue, retries, circuit breaker, rate limit, spool, dead letters), so
    that one slow or dead receiver never delays another. See docs/hub.md. */

#include <webhook/dispatch/dispatcher.hpp>
#include <webhook/hub/catalogue.hpp>
#include <webhook/hub/detail/endpoint_health.hpp>
#include <webhook/hub/detail/idempotency_journal.hpp>
#include <webhook/hub/detail/idempotency_window.hpp>
#include <webhook/hub/event_type.hpp>
#include <webhook/hub/hub_endpoint.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace webhook {

class metrics_registry;

/// Settings of a hub that are not part of its endpoints' configuration.
struct hub_options {
    /** Called once for every event an endpoint accepted, with the endpoint's name, on that
        endpoint's executor (keep it short; do not block in it). */
    std::function<void(std::string_view endpoint, const delivery&)> on_outcome;
    /// When an endpoint that keeps failing is disabled; both rules off by default.
    health_options health;
    /** Called when the health rule disables an endpoint, with the outcome that did it, on that
        endpoint's executor. `enable(name)` takes it back. */
    std::function<void(std::string_view endpoint, const delivery& last)> on_disabled;
    /// A publish with an idempotency key seen this recently is refused; 0: keys are ignored.
    std::chrono::milliseconds idempotency_window{std::chrono::hours{24}};
    /// Keys kept at most (the oldest go first, shortening the window for them).
    std::size_t idempotency_capacity = 100'000;
    /** Where the keys are kept so that a duplicate is refused across a restart too (a file
        of its own; it is created if missing, and rewritten at start with the keys still in
        their window). Written before `publish` sends anything; it survives the process, not
        a power loss (no fsync per key). Empty: in memory only. */
    std::filesystem::path idempotency_file;
    /// Serialization policies, for every endpoint.
    json::write_options json;
    /// Where every endpoint's metrics go, labelled with its name (see docs/observability.md).
    std::shared_ptr<metrics_registry> metrics;
    /// Called after every attempt of every endpoint (the record names the endpoint).
    std::function<void(const attempt_record&)> on_attempt;
    /** The spool of an endpoint, by name (e.g. a `file_spool` in a directory of its own, a
        Redis stream of its own); empty, or returning an empty spool: in memory only. It is
        asked again when an endpoint's configuration changes, while requests of the old lane
        may still be under way: return the same spool object for the same name (keep them in
        a map), not a second one opened on the same directory. */
    std::function<any_spool(std::string_view endpoint)> spool;
    /// The dead-letter spool of an endpoint, by name; empty: none kept.
    std::function<any_spool(std::string_view endpoint)> dead_letters;
    /** How long removing or changing an endpoint waits for its accepted events to settle;
        what is left then stays in its spool (and the changed endpoint delivers it), or
        without one is reported `abandoned`. */
    std::chrono::milliseconds drain_timeout{5'000};
    /// Threads of the hub's own I/O context (with the constructor that makes one).
    unsigned threads = 1;
};

/// How one event is published.
struct publish_options {
    /** A duplicate (the same key published within `hub_options::idempotency_window`) is
        refused with `error::duplicate_idempotency_key` and sent nowhere. At most 255 bytes,
        no control character (else `error::invalid_idempotency_key`). Empty: none. */
    std::string_view idempotency_key{};
    /// The channel the event belongs to (a tenant, a customer); empty: none.
    std::string_view channel{};
    /// More channels, for an event that belongs to several.
    std::span<const std::string_view> channels{};
    /// The event's own request headers, for every endpoint (see `event_headers`).
    event_headers headers{};
};

/// What one endpoint did with a published event: its id there, or why it refused it.
struct endpoint_acceptance {
    std::string endpoint;
    boost::system::result<event_id> id;
};

/** Delivers events to many endpoints by event type: each endpoint has its own dispatcher, so
    its queue, retries, circuit breaker, rate limit, spool and dead letters are its own.

    Threads: every member function may be called from any thread, but not from a callback
    (`on_outcome`, `on_disabled`): those run on an endpoint's executor, and `remove`,
    `reload`, `flush` wait for endpoints.

    @tparam Transport, Timer as for `basic_dispatcher`. */
template <class Transport, class Timer = boost::asio::steady_timer>
class basic_hub {
public:
    using dispatcher_type = basic_dispatcher<Transport, Timer>;

    /** A hub with its own I/O threads (`options.threads`).
        @throws boost::system::system_error when `options.idempotency_file` cannot be opened. */
    explicit basic_hub(hub_options options = {});
    /** A hub with its own I/O threads whose endpoints all send through `transport` (a fake
        in a test or an example, one pool for every endpoint). */
    explicit basic_hub(std::shared_ptr<Transport> transport, hub_options options = {});
    /// A hub whose endpoints run on `executor` (the caller runs its context).
    basic_hub(boost::asio::any_io_executor executor, hub_options options = {});
    /// As above, every endpoint sending through the caller's `transport`.
    basic_hub(boost::asio::any_io_executor executor, std::shared_ptr<Transport> transport,
              hub_options options = {});
    /// Shuts every endpoint down (`options.drain_timeout`), then stops its own threads.
    ~basic_hub();

    basic_hub(const basic_hub&) = delete;
    basic_hub& operator=(const basic_hub&) = delete;

    /** Registers event types up front: their names are then the only ones a subscription
        may list (a typo is a configuration error, not an endpoint that never receives
        anything), and the catalogue describes them. Two of `Events` with the same name and
        version are a compile error; one that clashes with a type registered before throws
        `config_error`. Publishing registers a type too. */
    template <class... Events>
    void declare();

    /** Adds an endpoint, or replaces the one with the same name (see `reload` for what a
        replacement does with its events). @throws config_error when it is not valid. */
    void set(hub_endpoint endpoint);

    /** Removes an endpoint: it receives nothing from now on, and this waits up to
        `drain_timeout` for its accepted events (see `hub_options::drain_timeout`).
        @return false when there is none of that name. */
    bool remove(std::string_view name);

    /** Makes the hub's endpoints exactly `endpoints`: adds the new names, replaces those whose
        configuration changed (a subscription alone changes in place; any other change drains
        the old dispatcher, then starts a new one on the same spool), removes the rest.
        Everything is checked first: on any problem nothing changes.
        @throws config_error with every problem (`endpoints[2].url: ...`). */
    void reload(std::span<const hub_endpoint> endpoints);
    /// `reload` from a hub configuration file (see `load_hub_endpoints`).
    void reload_file(const std::string& path);

    /** Only events of type `Event` for which `keep(event)` is true reach endpoint `name`
        (in addition to its subscription); replaces an earlier predicate of that type.
        @return false when there is no such endpoint. */
    template <class Event>
    bool where(std::string_view name, std::function<bool(const Event&)> keep);

    /** Sends `event` to every endpoint subscribed to its type (and channel): serialized once,
        posted to each endpoint's dispatcher, with an id per endpoint. An endpoint that
        refuses it (full queue, disabled, ...) says why in its entry; the others are not
        affected. Refused as a whole, with nothing sent: a duplicate idempotency key, an
        event that cannot be serialized, a type whose name another type registered. */
    template <class Event>
    boost::system::result<std::vector<endpoint_acceptance>>
    publish(const Event& event, const publish_options& options = {});

    /// Takes back an endpoint disabled by its health rule (or by `disable`).
    bool enable(std::string_view name);
    /// Stops routing events to an endpoint (published ones get `error::endpoint_disabled`).
    bool disable(std::string_view name);
    /// Whether the endpoint exists and is enabled.
    bool enabled(std::string_view name) const;

    /// The endpoints' names, in order.
    std::vector<std::string> endpoints() const;
    /// One endpoint's configuration, if it exists.
    std::optional<hub_endpoint> endpoint_config(std::string_view name) const;
    /// One endpoint's counters, if it exists.
    std::optional<dispatcher_counters> counters(std::string_view name) const;
    /// The registered event types, in order of registration.
    std::vector<event_type_info> event_types() const;

    /** The event catalogue of this hub as an AsyncAPI 3.0 document: its registered event
        types (see `declare`) and its endpoints with their subscribed types (see
        `asyncapi_document`, docs/catalogue.md). */
    boost::json::value asyncapi(const catalogue_info& info = {}) const;
    /// The event catalogue as an OpenAPI 3.1 document with `webhooks` (see `openapi_document`).
    boost::json::value openapi(const catalogue_info& info = {}) const;

    /// Waits until every endpoint has settled what it accepted, or `timeout`.
    bool flush(std::chrono::milliseconds timeout);

private:
    struct lane;
    using lane_ptr = std::shared_ptr<lane>;

    void start_threads(unsigned count);
    lane_ptr make_lane(hub_endpoint config) const;
    void install(hub_endpoint config, std::chrono::steady_clock::time_point deadline);
    void reload_some(std::span<const hub_endpoint> endpoints, bool remove_others);
    template <class Event>
    void publish_serialized(const Event& event, std::string_view payload,
                            const event_type_info& info, const publish_options& options,
                            const event_headers& headers, std::vector<endpoint_acceptance>& out);
    /// `options.headers`, or, when the event's type has an ordering key, `keyed` made of them
    /// and the key.
    template <class Event>
    static const event_headers&
    with_ordering_key(const Event& event, const publish_options& options, event_headers& keyed);
    /// Lets `old` settle what it holds until `deadline`, then stops it.
    static void drain(const lane_ptr& old, std::chrono::steady_clock::time_point deadline);
    lane_ptr find(std::string_view name) const;
    std::vector<catalogue_endpoint> catalogue_endpoints() const;
    boost::system::error_code register_type(const event_type_info& info);
    void check_subscriptions(std::span<const hub_endpoint> endpoints,
                             std::vector<config_problem>& problems) const;

    struct shared_state; // what lanes' callbacks reach: options and nothing else
    std::shared_ptr<shared_state> shared_;
    std::unique_ptr<boost::asio::io_context> own_context_;
    boost::asio::any_io_executor executor_;
    std::shared_ptr<Transport> transport_;
    std::vector<std::thread> threads_;

    mutable std::shared_mutex mutex_; // the lanes, the event types, the predicates
    std::map<std::string, lane_ptr, std::less<>> lanes_;
    std::vector<event_type_info> types_;
    bool declared_ = false;

    std::mutex keys_mutex_;
    detail::idempotency_window<typename Timer::clock_type> keys_;
    detail::idempotency_journal journal_; // with `idempotency_file`

    /// Admits `key` (window and journal), or says why not.
    boost::system::error_code admit_key(std::string_view key);
    /// Gives `key` back: its publish was sent nowhere.
    void forget_key(std::string_view key);
    void open_journal();
};

/// The hub over the built-in HTTP/HTTPS transport.
using hub = basic_hub<beast_transport>;

} // namespace webhook

#include <webhook/hub/impl/hub.hpp>

#include <webhook/hub/detail/instances.hpp>

#endif
