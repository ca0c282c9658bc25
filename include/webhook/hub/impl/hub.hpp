#ifndef WEBHOOK_HUB_IMPL_HUB_HPP
#define WEBHOOK_HUB_IMPL_HUB_HPP

#include <webhook/config/detail/text.hpp>
#include <webhook/detail/quote.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

namespace webhook {

namespace detail {
/// What is left of the time until `deadline`, none when it has passed.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds{0});
}
} // namespace detail

template <class Transport, class Timer>
struct basic_hub<Transport, Timer>::shared_state {
    hub_options options;
};

/// One endpoint: its configuration, health and dispatcher.
template <class Transport, class Timer>
struct basic_hub<Transport, Timer>::lane {
    using clock = typename Timer::clock_type;

    lane(std::string n, webhook::subscription s, const health_options& h)
        : name(std::move(n)), subscription(std::move(s)), health(h) {}

    /// Its configuration as given (the endpoint's from the dispatcher: not kept twice).
    hub_endpoint config() const { return {name, dispatcher->config(), subscription}; }

    /** Settles one outcome of this endpoint: the health rule first (so that the caller, told
        of the outcome, sees the endpoint as it now is), then the callbacks. */
    void settle(const shared_state& s, const delivery& d) {
        bool disable = false;
        {
            std::lock_guard lock(health_mutex);
            disable = health.settle(d.status, clock::now());
        }
        if (disable)
            enabled = false;
        if (s.options.on_outcome)
            s.options.on_outcome(name, d);
        if (disable && s.options.on_disabled)
            s.options.on_disabled(name, d);
    }

    bool keeps(const void* type, const void* event) const {
        const auto it = filters.find(type);
        return it == filters.end() || it->second(event);
    }

    const std::string name;
    /// Changes in place, under the hub's mutex.
    webhook::subscription subscription;
    /// Predicates by event type (`where`), guarded by the hub's mutex.
    std::map<const void*, std::function<bool(const void*)>> filters;
    std::atomic<bool> enabled{true};
    std::mutex health_mutex;
    detail::endpoint_health<clock> health;
    // Last: destroyed first, while what its callbacks use still exists.
    std::unique_ptr<dispatcher_type> dispatcher;
};

template <class Transport, class Timer>
basic_hub<Transport, Timer>::basic_hub(hub_options options)
    : basic_hub(boost::asio::any_io_executor{}, nullptr, std::move(options)) {}

template <class Transport, class Timer>
basic_hub<Transport, Timer>::basic_hub(std::shared_ptr<Transport> transport, hub_options options)
    : basic_hub(boost::asio::any_io_executor{}, std::move(transport), std::move(options)) {}

template <class Transport, class Timer>
basic_hub<Transport, Timer>::basic_hub(boost::asio::any_io_executor executor, hub_options options)
    : basic_hub(std::move(executor), nullptr, std::move(options)) {}

template <class Transport, class Timer>
basic_hub<Transport, Timer>::basic_hub(boost::asio::any_io_executor executor,
                                       std::shared_ptr<Transport> transport, hub_options options)
    : shared_(std::make_shared<shared_state>(shared_state{std::move(options)})),
      executor_(std::move(executor)), transport_(std::move(transport)),
      keys_(shared_->options.idempotency_window, shared_->options.idempotency_capacity) {
    if (!shared_->options.idempotency_file.empty())
        open_journal();
    if (!executor_) {
        own_context_ = std::make_unique<boost::asio::io_context>();
        executor_ = own_context_->get_executor();
        start_threads(std::max(1u, shared_->options.threads));
    }
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::start_threads(unsigned count) {
    for (unsigned i = 0; i < count; ++i)
        threads_.emplace_back([ctx = own_context_.get()] {
            auto work = boost::asio::make_work_guard(*ctx);
            ctx->run();
        });
}

template <class Transport, class Timer>
basic_hub<Transport, Timer>::~basic_hub() {
    std::map<std::string, lane_ptr, std::less<>> lanes;
    {
        std::unique_lock lock(mutex_);
        lanes.swap(lanes_);
    }
    const auto deadline = std::chrono::steady_clock::now() + shared_->options.drain_timeout;
    for (auto& [name, l] : lanes) // one drain_timeout for all of them, not one each
        drain(l, deadline);
    lanes.clear(); // the dispatchers, while the context they run on still runs
    if (own_context_) {
        own_context_->stop();
        for (std::thread& t : threads_)
            t.join();
    }
}

template <class Transport, class Timer>
boost::system::error_code basic_hub<Transport, Timer>::register_type(const event_type_info& info) {
    const auto same_name = [&](const event_type_info& t) {
        return t.name == info.name && t.version == info.version;
    };
    {
        std::shared_lock lock(mutex_);
        const auto it = std::find_if(types_.begin(), types_.end(), same_name);
        if (it != types_.end())
            return it->type == info.type ? boost::system::error_code{}
                                         : make_error_code(error::event_type_conflict);
    }
    std::unique_lock lock(mutex_);
    const auto it = std::find_if(types_.begin(), types_.end(), same_name);
    if (it == types_.end())
        types_.push_back(info);
    else if (it->type != info.type)
        return error::event_type_conflict;
    return {};
}

template <class Transport, class Timer>
template <class... Events>
void basic_hub<Transport, Timer>::declare() {
    static_assert(sizeof(webhook::event_types<Events...>) > 0); // distinct names, at compile time
    std::vector<config_problem> problems;
    for (const event_type_info& info : {event_type_info::of<Events>()...})
        if (register_type(info))
            problems.push_back({"", "event type " + detail::quote_for_message(info.name) +
                                        " version " + std::to_string(info.version) +
                                        " is already registered by another type"});
    std::unique_lock lock(mutex_);
    declared_ = true;
    if (!problems.empty())
        throw config_error(std::move(problems));
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::check_subscriptions(std::span<const hub_endpoint> endpoints,
                                                      std::vector<config_problem>& problems) const {
    std::shared_lock lock(mutex_);
    if (!declared_)
        return;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const auto& types = endpoints[i].subscription.event_types;
        for (std::size_t t = 0; t < types.size(); ++t)
            if (std::none_of(types_.begin(), types_.end(),
                             [&](const event_type_info& info) { return info.name == types[t]; }))
                problems.push_back(
                    {detail::element_path(i, "event_types[" + std::to_string(t) + "]"),
                     "no declared event type is named " + detail::quote_for_message(types[t])});
    }
}

template <class Transport, class Timer>
auto basic_hub<Transport, Timer>::make_lane(hub_endpoint config) const -> lane_ptr {
    const hub_options& o = shared_->options;
    auto l =
        std::make_shared<lane>(std::move(config.name), std::move(config.subscription), o.health);
    const std::string& name = l->name;
    dispatcher_options d;
    d.on_outcome = [state = shared_, weak = std::weak_ptr<lane>(l), name](const delivery& outcome) {
        if (const auto alive = weak.lock())
            alive->settle(*state, outcome);
        else if (state->options.on_outcome) // abandoned while the lane was being destroyed
            state->options.on_outcome(name, outcome);
    };
    d.shutdown_timeout = o.drain_timeout;
    d.json = o.json;
    d.spool = o.spool ? o.spool(name) : any_spool{};
    d.dead_letters = o.dead_letters ? o.dead_letters(name) : any_spool{};
    d.name = name;
    d.on_attempt = o.on_attempt;
    d.metrics = o.metrics;
    l->dispatcher =
        transport_
            ? std::make_unique<dispatcher_type>(executor_, transport_, std::move(config.config),
                                                std::move(d))
            : std::make_unique<dispatcher_type>(executor_, std::move(config.config), std::move(d));
    return l;
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::drain(const lane_ptr& old,
                                        std::chrono::steady_clock::time_point deadline) {
    old->dispatcher->flush(detail::time_left(deadline));
    old->dispatcher->shutdown(std::chrono::milliseconds{0});
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::install(hub_endpoint config,
                                          std::chrono::steady_clock::time_point deadline) {
    lane_ptr old = find(config.name);
    if (old && old->dispatcher->config() == config.config) { // the subscription alone: in place
        std::unique_lock lock(mutex_);
        old->subscription = std::move(config.subscription);
        return;
    }
    // Settle what the old one has (events keep arriving meanwhile), then stop it: what is
    // left stays in its spool, which its successor opens, or is reported abandoned.
    if (old)
        drain(old, deadline);
    std::unique_lock lock(mutex_);
    if (old)
        lanes_.erase(old->name);
    old.reset();
    std::string name = config.name;
    lanes_.insert_or_assign(std::move(name), make_lane(std::move(config)));
}

template <class Transport, class Timer>
auto basic_hub<Transport, Timer>::find(std::string_view name) const -> lane_ptr {
    std::shared_lock lock(mutex_);
    const auto it = lanes_.find(name);
    return it == lanes_.end() ? nullptr : it->second;
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::set(hub_endpoint endpoint) {
    reload_some(std::span<const hub_endpoint>(&endpoint, 1), false);
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::reload(std::span<const hub_endpoint> endpoints) {
    reload_some(endpoints, true);
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::reload_some(std::span<const hub_endpoint> endpoints,
                                              bool remove_others) {
    auto problems = validate(endpoints);
    check_subscriptions(endpoints, problems);
    if (!problems.empty())
        throw config_error(std::move(problems));
    // One drain_timeout for every endpoint this changes or removes, not one each.
    const auto deadline = std::chrono::steady_clock::now() + shared_->options.drain_timeout;
    if (remove_others) {
        std::set<std::string_view> wanted;
        for (const hub_endpoint& e : endpoints)
            wanted.insert(e.name);
        std::vector<lane_ptr> gone;
        {
            std::unique_lock lock(mutex_);
            for (auto it = lanes_.begin(); it != lanes_.end();)
                if (wanted.contains(it->first)) {
                    ++it;
                } else {
                    gone.push_back(std::move(it->second));
                    it = lanes_.erase(it);
                }
        }
        for (const lane_ptr& l : gone)
            drain(l, deadline);
    }
    for (const hub_endpoint& e : endpoints)
        if (const lane_ptr l = find(e.name);
            !l || l->subscription != e.subscription || !(l->dispatcher->config() == e.config))
            install(e, deadline);
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::reload_file(const std::string& path) {
    const auto endpoints = load_hub_endpoints_file(path);
    reload(endpoints);
}

template <class Transport, class Timer>
bool basic_hub<Transport, Timer>::remove(std::string_view name) {
    lane_ptr old;
    {
        std::unique_lock lock(mutex_);
        const auto it = lanes_.find(name);
        if (it == lanes_.end())
            return false;
        old = std::move(it->second);
        lanes_.erase(it);
    }
    drain(old, std::chrono::steady_clock::now() + shared_->options.drain_timeout);
    return true;
}

template <class Transport, class Timer>
template <class Event>
bool basic_hub<Transport, Timer>::where(std::string_view name,
                                        std::function<bool(const Event&)> keep) {
    std::unique_lock lock(mutex_);
    const auto it = lanes_.find(name);
    if (it == lanes_.end())
        return false;
    it->second->filters.insert_or_assign(
        &detail::event_type_tag<Event>,
        [keep = std::move(keep)](const void* e) { return keep(*static_cast<const Event*>(e)); });
    return true;
}

template <class Transport, class Timer>
template <class Event>
boost::system::result<std::vector<endpoint_acceptance>>
basic_hub<Transport, Timer>::publish(const Event& event, const publish_options& options) {
    static constexpr event_type_info info = event_type_info::of<Event>();
    if (const auto ec = register_type(info))
        return ec;
    const bool keyed =
        !options.idempotency_key.empty() && shared_->options.idempotency_window.count() != 0;
    if (keyed)
        if (const auto refused = admit_key(options.idempotency_key))
            return refused;
    // Once for every endpoint: the data location is added per request, not here.
    thread_local std::string payload;
    payload.clear();
    boost::system::error_code ec;
    if constexpr (json::require_serializable<Event>())
        json::write(payload, event, data_path{}, shared_->options.json, ec);
    std::vector<endpoint_acceptance> accepted;
    event_headers with_key;
    if (!ec)
        publish_serialized(event, payload, info, options,
                           with_ordering_key(event, options, with_key), accepted);
    if (keyed &&
        (ec || std::none_of(accepted.begin(), accepted.end(),
                            [](const endpoint_acceptance& a) { return a.id.has_value(); })))
        forget_key(options.idempotency_key); // sent nowhere: the key may be used again
    if (ec)
        return ec;
    return accepted;
}

template <class Transport, class Timer>
template <class Event>
const event_headers& basic_hub<Transport, Timer>::with_ordering_key(const Event& event,
                                                                    const publish_options& options,
                                                                    event_headers& keyed) {
    if constexpr (detail::has_ordering_key<Event>()) {
        thread_local std::string key;
        detail::write_ordering_key(event, key);
        if (!key.empty()) {
            const auto given = options.headers.fields();
            std::vector<header_view> fields(given.begin(), given.end());
            fields.emplace_back(ordering_key_header, key);
            keyed = event_headers(fields);
            return keyed;
        }
    }
    return options.headers; // not copied: most events have no key
}

template <class Transport, class Timer>
template <class Event>
void basic_hub<Transport, Timer>::publish_serialized(const Event& event, std::string_view payload,
                                                     const event_type_info& info,
                                                     const publish_options& options,
                                                     const event_headers& headers,
                                                     std::vector<endpoint_acceptance>& out) {
    std::string_view one[] = {options.channel};
    const std::span<const std::string_view> channels =
        options.channel.empty() ? options.channels : std::span<const std::string_view>(one);
    std::vector<std::string_view> both; // a channel and more channels: rare, allowed
    if (!options.channel.empty() && !options.channels.empty()) {
        both.assign(options.channels.begin(), options.channels.end());
        both.push_back(options.channel);
    }
    const auto on = both.empty() ? channels : std::span<const std::string_view>(both);
    std::shared_lock lock(mutex_);
    out.reserve(std::min<std::size_t>(lanes_.size(), 128)); // one allocation for most fan-outs
    for (const auto& [name, l] : lanes_) {
        if (!subscribed(l->subscription, info.name, on) || !l->keeps(info.type, &event))
            continue;
        if (!l->enabled)
            out.push_back({name, make_error_code(error::endpoint_disabled)});
        else
            out.push_back({name, l->dispatcher->post_serialized(event, payload, headers)});
    }
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::open_journal() {
    detail::idempotency_journal::live_keys live;
    const auto system_now = std::chrono::system_clock::now();
    auto opened =
        detail::idempotency_journal::open(shared_->options.idempotency_file, system_now, live);
    if (!opened)
        throw boost::system::system_error(opened.error(),
                                          "webhook: hub idempotency file " +
                                              shared_->options.idempotency_file.string());
    journal_ = std::move(*opened);
    // In the window in the order they leave it, on the hub's clock.
    std::vector<std::pair<std::chrono::system_clock::time_point, std::string_view>> by_expiry;
    for (const auto& [key, expiry] : live)
        by_expiry.emplace_back(expiry, key);
    std::sort(by_expiry.begin(), by_expiry.end());
    const auto now = Timer::clock_type::now();
    for (const auto& [expiry, key] : by_expiry)
        keys_.restore(key, now + std::chrono::duration_cast<typename Timer::clock_type::duration>(
                                     expiry - system_now));
}

template <class Transport, class Timer>
boost::system::error_code basic_hub<Transport, Timer>::admit_key(std::string_view key) {
    if (key.size() > 255 || detail::has_any_control_character(key))
        return error::invalid_idempotency_key;
    std::lock_guard lock(keys_mutex_);
    if (!keys_.admit(key, Timer::clock_type::now()))
        return error::duplicate_idempotency_key;
    if (!journal_)
        return {};
    // Written before anything is sent: a restart after this refuses the key.
    if (const auto ec = journal_.record(key, std::chrono::system_clock::now() +
                                                 shared_->options.idempotency_window)) {
        keys_.forget(key);
        return ec;
    }
    if (journal_.lines() > 2 * keys_.size() + 10'000) { // mostly expired or given back: compact
        detail::idempotency_journal::live_keys live;
        if (auto reopened = detail::idempotency_journal::open(
                shared_->options.idempotency_file, std::chrono::system_clock::now(), live))
            journal_ = std::move(*reopened);
    }
    return {};
}

template <class Transport, class Timer>
void basic_hub<Transport, Timer>::forget_key(std::string_view key) {
    std::lock_guard lock(keys_mutex_);
    keys_.forget(key);
    if (journal_)
        (void)journal_.forget(key); // should it fail, the key stays refused until its window ends
}

template <class Transport, class Timer>
bool basic_hub<Transport, Timer>::enable(std::string_view name) {
    const lane_ptr l = find(name);
    if (!l)
        return false;
    {
        std::lock_guard lock(l->health_mutex);
        l->health.enable();
    }
    l->enabled = true;
    return true;
}

template <class Transport, class Timer>
bool basic_hub<Transport, Timer>::disable(std::string_view name) {
    const lane_ptr l = find(name);
    if (l)
        l->enabled = false;
    return l != nullptr;
}

template <class Transport, class Timer>
bool basic_hub<Transport, Timer>::enabled(std::string_view name) const {
    const lane_ptr l = find(name);
    return l && l->enabled;
}

template <class Transport, class Timer>
std::vector<std::string> basic_hub<Transport, Timer>::endpoints() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    for (const auto& entry : lanes_)
        names.push_back(entry.first);
    return names;
}

template <class Transport, class Timer>
std::optional<hub_endpoint>
basic_hub<Transport, Timer>::endpoint_config(std::string_view name) const {
    std::shared_lock lock(mutex_);
    const auto it = lanes_.find(name);
    return it == lanes_.end() ? std::nullopt : std::optional<hub_endpoint>(it->second->config());
}

template <class Transport, class Timer>
std::optional<dispatcher_counters>
basic_hub<Transport, Timer>::counters(std::string_view name) const {
    const lane_ptr l = find(name);
    return l ? std::optional<dispatcher_counters>(l->dispatcher->counters()) : std::nullopt;
}

template <class Transport, class Timer>
std::vector<event_type_info> basic_hub<Transport, Timer>::event_types() const {
    std::shared_lock lock(mutex_);
    return types_;
}

template <class Transport, class Timer>
std::vector<catalogue_endpoint> basic_hub<Transport, Timer>::catalogue_endpoints() const {
    std::shared_lock lock(mutex_);
    std::vector<catalogue_endpoint> out;
    for (const auto& [name, l] : lanes_)
        out.push_back({name, l->dispatcher->config(), l->subscription.event_types});
    return out;
}

template <class Transport, class Timer>
boost::json::value basic_hub<Transport, Timer>::asyncapi(const catalogue_info& info) const {
    return asyncapi_document(info, event_types(), catalogue_endpoints(), shared_->options.json);
}

template <class Transport, class Timer>
boost::json::value basic_hub<Transport, Timer>::openapi(const catalogue_info& info) const {
    return openapi_document(info, event_types(), catalogue_endpoints(), shared_->options.json);
}

template <class Transport, class Timer>
bool basic_hub<Transport, Timer>::flush(std::chrono::milliseconds timeout) {
    std::vector<lane_ptr> lanes;
    {
        std::shared_lock lock(mutex_);
        for (const auto& entry : lanes_)
            lanes.push_back(entry.second);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool settled = true;
    for (const lane_ptr& l : lanes)
        settled = l->dispatcher->flush(detail::time_left(deadline)) && settled;
    return settled;
}

} // namespace webhook

#endif
