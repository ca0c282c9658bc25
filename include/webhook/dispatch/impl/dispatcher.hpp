#ifndef WEBHOOK_DISPATCH_IMPL_DISPATCHER_HPP
#define WEBHOOK_DISPATCH_IMPL_DISPATCHER_HPP

#include <webhook/dispatch/detail/dispatch_core.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <future>
#include <stdexcept>

namespace webhook {

namespace detail {

/// `e` if it is valid, else a `config_error` with every problem.
inline endpoint checked(endpoint e) {
    auto problems = validate(e);
    if (!problems.empty())
        throw config_error(std::move(problems));
    return e;
}

/// `transport` if it is one.
template <class Transport>
std::shared_ptr<Transport> given(std::shared_ptr<Transport> transport) {
    if (!transport)
        throw std::invalid_argument("webhook: the dispatcher was given a null transport");
    return transport;
}

inline url_template parse_url_template(const endpoint& e) {
    auto parsed = url_template::parse(e.url);
    if (!parsed)
        throw config_error({config_problem{"url", parsed.error()}});
    return std::move(*parsed);
}

/** Writes `headers` as `name: value\r\n` lines into `out`, each checked as the endpoint's
    own headers are (see `event_headers`); a `traceparent` and `tracestate` as a W3C trace
    context. Without a `traceparent`, the one `current_trace` returns, if any. */
inline boost::system::error_code
write_event_headers(const endpoint& e, const event_headers& headers,
                    const std::function<std::optional<trace_context>()>& current_trace,
                    std::string& out) {
    out.clear();
    const event_headers::field* parent = nullptr;
    const event_headers::field* state = nullptr;
    for (const auto& field : headers.fields()) {
        const std::string_view name = field.first, value = field.second;
        if (const auto ec = check_header(name, value))
            return ec;
        if (header_refusal(e, name) != nullptr ||
            std::any_of(e.headers.begin(), e.headers.end(),
                        [&](const header_field& h) { return iequals(h.name, name); }))
            return error::reserved_header;
        if (iequals(name, "traceparent"))
            parent = &field;
        else if (iequals(name, "tracestate"))
            state = &field;
        else
            out.append(name).append(": ").append(value).append("\r\n");
    }
    std::optional<trace_context> trace;
    if (parent) {
        auto parsed = trace_context::parse(parent->second, state ? state->second : "");
        if (!parsed)
            return parsed.error();
        trace = std::move(*parsed);
    } else if (state) {
        return error::invalid_tracestate; // a tracestate belongs to a traceparent
    } else if (current_trace) {
        trace = current_trace();
    }
    if (trace) { // written as version 00, the one this library speaks
        out.append("traceparent: ").append(trace->traceparent()).append("\r\n");
        if (!trace->tracestate().empty())
            out.append("tracestate: ").append(trace->tracestate()).append("\r\n");
    }
    return {};
}

/// Per-thread buffers of an event being prepared: after the first events, none allocates.
struct prepared_event {
    std::string payload, target, headers;
    event_text text() const { return {payload, target, headers}; }
};

template <class Event>
boost::system::error_code
prepare_serializable(const Event& event, const event_headers& headers, const url_template& url,
                     const endpoint& e, const dispatcher_options& options, prepared_event& out);

/** Writes what an event needs before it is accepted: its request target (when the URL has
    placeholders), its JSON (without the data location, which is added per request) and its
    own header lines. */
template <class Event>
boost::system::error_code prepare(const Event& event, const event_headers& headers,
                                  const url_template& url, const endpoint& e,
                                  const dispatcher_options& options, prepared_event& out) {
    // One readable error for an event type the JSON API cannot write, instead of a page of
    // errors from everything that uses it below.
    if constexpr (!json::require_serializable<Event>()) {
        return {};
    } else {
        return prepare_serializable(event, headers, url, e, options, out);
    }
}

/** Writes what an event needs per endpoint: its own header lines and, when the URL has
    placeholders, its request target. Not its JSON (see `prepare_serializable`), which a hub
    writes once for all its endpoints. */
template <class Event>
boost::system::error_code prepare_request(const Event& event, const event_headers& headers,
                                          const url_template& url, const endpoint& e,
                                          const dispatcher_options& options, prepared_event& out) {
    out.target.clear();
    if (const auto ec = write_event_headers(e, headers, options.current_trace, out.headers))
        return ec;
    if (url.has_placeholders()) {
        // expand_target looks every placeholder up itself: no separate check<Event>() per event.
        if (const auto ec = url.expand_target(event, out.target))
            return ec == boost::system::errc::invalid_argument
                       ? make_error_code(error::url_placeholder_mismatch)
                       : ec;
    }
    return {};
}

template <class Event>
boost::system::error_code
prepare_serializable(const Event& event, const event_headers& headers, const url_template& url,
                     const endpoint& e, const dispatcher_options& options, prepared_event& out) {
    out.payload.clear();
    if (const auto ec = prepare_request(event, headers, url, e, options, out))
        return ec;
    boost::system::error_code ec;
    json::write(out.payload, event, data_path{}, options.json, ec);
    return ec;
}

} // namespace detail

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(endpoint ep, dispatcher_options options)
    : basic_dispatcher(std::make_unique<boost::asio::io_context>(1), {}, nullptr, std::move(ep),
                       std::move(options)) {}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(std::shared_ptr<Transport> transport,
                                                     endpoint ep, dispatcher_options options)
    : basic_dispatcher(std::make_unique<boost::asio::io_context>(1), {},
                       detail::given(std::move(transport)), std::move(ep), std::move(options)) {}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(boost::asio::any_io_executor executor,
                                                     endpoint ep, dispatcher_options options)
    : basic_dispatcher(nullptr, std::move(executor), nullptr, std::move(ep), std::move(options)) {}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(boost::asio::any_io_executor executor,
                                                     std::shared_ptr<Transport> transport,
                                                     endpoint ep, dispatcher_options options)
    : basic_dispatcher(nullptr, std::move(executor), detail::given(std::move(transport)),
                       std::move(ep), std::move(options)) {}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(std::unique_ptr<boost::asio::io_context> own,
                                                     boost::asio::any_io_executor executor,
                                                     std::shared_ptr<Transport> transport,
                                                     endpoint ep, dispatcher_options options)
    : own_context_(std::move(own)) {
    auto url = detail::parse_url_template(ep);
    const bool one_thread = own_context_ != nullptr;
    core_ = std::make_shared<detail::dispatch_core<Transport, Timer>>(
        one_thread ? own_context_->get_executor() : std::move(executor),
        detail::checked(std::move(ep)), std::move(options), std::move(url), one_thread,
        std::move(transport));
    if (one_thread)
        own_thread_ = std::thread([ctx = own_context_.get()] {
            auto work = boost::asio::make_work_guard(*ctx);
            ctx->run();
        });
    core_->start();
}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::~basic_dispatcher() {
    core_->shutdown(core_->options().shutdown_timeout);
    core_->detach_metrics();
    if (own_context_) {
        // Let completions posted to the strand (to async_send callers) run, then stop.
        std::promise<void> drained;
        boost::asio::post(core_->strand(), [&drained] { drained.set_value(); });
        drained.get_future().wait();
        own_context_->stop();
        own_thread_.join();
        core_->release_io(); // while the context they belong to still exists
    }
}

template <class Transport, class Timer>
std::vector<event_id>
basic_dispatcher<Transport, Timer>::shutdown(std::chrono::milliseconds timeout) {
    return core_->shutdown(timeout);
}

template <class Transport, class Timer>
template <class Event>
void basic_dispatcher<Transport, Timer>::bind() const {
    if constexpr (json::require_serializable<Event>())
        if (auto problem = core_->url().template check<Event>())
            throw config_error({config_problem{"url", std::move(*problem)}});
}

template <class Transport, class Timer>
template <class Event>
delivery basic_dispatcher<Transport, Timer>::send(const Event& event, event_headers headers) {
    if (core_->on_own_executor()) { // the future below would wait for this very thread
        core_->count_rejected();
        return detail::refusal(error::would_deadlock);
    }
    return async_send(event, headers, boost::asio::use_future).get();
}

template <class Transport, class Timer>
template <class Event, class CompletionToken>
auto basic_dispatcher<Transport, Timer>::async_send(const Event& event, CompletionToken&& token) {
    return async_send(event, event_headers{}, std::forward<CompletionToken>(token));
}

template <class Transport, class Timer>
template <class Event, class CompletionToken>
auto basic_dispatcher<Transport, Timer>::async_send(const Event& event, event_headers headers,
                                                    CompletionToken&& token) {
    // Prepared now, so that the event need not outlive the call (a deferred operation
    // starts later).
    detail::prepared_event prepared;
    const auto ec =
        detail::prepare(event, headers, core_->url(), core_->config(), core_->options(), prepared);
    return boost::asio::async_initiate<CompletionToken, void(delivery)>(
        [](auto handler, std::shared_ptr<detail::dispatch_core<Transport, Timer>> core,
           boost::system::error_code refused, detail::prepared_event prepared) {
            // The handler's own executor (the dispatcher's strand if it has none), kept busy
            // until the outcome: it must not run out of work while the event is in flight.
            auto work =
                boost::asio::prefer(boost::asio::get_associated_executor(handler, core->strand()),
                                    boost::asio::execution::outstanding_work.tracked);
            // Completes there, never inside this call.
            detail::completion complete([handler = std::move(handler),
                                         work = std::move(work)](delivery d) mutable {
                auto ex = std::move(work);
                boost::asio::post(ex, [handler = std::move(handler), d = std::move(d)]() mutable {
                    std::move(handler)(std::move(d));
                });
            });
            if (refused) {
                core->count_rejected();
                return std::move(complete)(detail::refusal(refused));
            }
            core->accept(prepared.text(), std::move(complete));
        },
        token, core_, ec, std::move(prepared));
}

template <class Transport, class Timer>
template <class Event>
boost::system::result<event_id> basic_dispatcher<Transport, Timer>::post(const Event& event,
                                                                         event_headers headers) {
    return post_into(event, headers, nullptr);
}

template <class Transport, class Timer>
template <class Event, class Appender>
    requires spool_appender<std::remove_cvref_t<Appender>> boost::system::result<event_id>
    basic_dispatcher<Transport, Timer>::post(const Event& event, Appender&& appender,
                                             event_headers headers) {
        const auto into = detail::appender_ref::to(appender);
        return post_into(event, headers, &into);
    }

template <class Transport, class Timer>
template <class Event>
boost::system::result<event_id>
basic_dispatcher<Transport, Timer>::post_into(const Event& event, const event_headers& headers,
                                              const detail::appender_ref* into) {
    // Per-thread buffers: after the first events, preparing one allocates nothing.
    thread_local detail::prepared_event prepared;
    if (const auto ec = detail::prepare(event, headers, core_->url(), core_->config(),
                                        core_->options(), prepared)) {
        core_->count_rejected();
        return ec;
    }
    return into ? core_->accept_spooled(prepared.text(), nullptr, into)
                : core_->accept_posted(prepared.text());
}

template <class Transport, class Timer>
template <class Event>
boost::system::result<event_id>
basic_dispatcher<Transport, Timer>::post_serialized(const Event& event, std::string_view payload,
                                                    const event_headers& headers) {
    thread_local detail::prepared_event prepared;
    if (const auto ec = detail::prepare_request(event, headers, core_->url(), core_->config(),
                                                core_->options(), prepared)) {
        core_->count_rejected();
        return ec;
    }
    return core_->accept_posted({payload, prepared.target, prepared.headers});
}

template <class Transport, class Timer>
boost::system::result<event_id>
basic_dispatcher<Transport, Timer>::requeue(const spool_record& letter) {
    const auto accepted =
        core_->accept_posted({letter.payload, letter.target, letter.headers}, &letter.id);
    if (accepted && core_->options().dead_letters)
        core_->options().dead_letters.ack(letter.sequence);
    return accepted;
}

template <class Transport, class Timer>
bool basic_dispatcher<Transport, Timer>::flush(std::chrono::milliseconds timeout) {
    if (core_->on_own_executor())
        throw boost::system::system_error(make_error_code(error::would_deadlock),
                                          "webhook: dispatcher flush");
    return core_->flush(timeout);
}

template <class Transport, class Timer>
dispatcher_counters basic_dispatcher<Transport, Timer>::counters() const {
    return core_->counters();
}

template <class Transport, class Timer>
const endpoint& basic_dispatcher<Transport, Timer>::config() const noexcept {
    return core_->config();
}

template <class Transport, class Timer>
Transport& basic_dispatcher<Transport, Timer>::transport() noexcept {
    return core_->transport();
}

template <class Transport, class Timer>
auto basic_dispatcher<Transport, Timer>::get_executor() const noexcept -> executor_type {
    return core_->strand();
}

} // namespace webhook

#endif
