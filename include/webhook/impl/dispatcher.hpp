#ifndef WEBHOOK_IMPL_DISPATCHER_HPP
#define WEBHOOK_IMPL_DISPATCHER_HPP

#include <webhook/detail/dispatch_core.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

namespace webhook {

namespace detail {

/// `e` if it is valid, else a `config_error` with every problem.
inline endpoint checked(endpoint e) {
    auto problems = validate(e);
    if (!problems.empty())
        throw config_error(std::move(problems));
    return e;
}

inline url_template parse_url_template(const endpoint& e) {
    auto parsed = url_template::parse(e.url);
    if (!parsed)
        throw config_error({config_problem{"url", parsed.error()}});
    return std::move(*parsed);
}

/** Writes what an event needs before it is accepted: its request target (when the URL has
    placeholders) and its JSON (without the data location, which is added per request). */
template <class Event>
boost::system::error_code prepare(const Event& event, const url_template& url,
                                  const json::write_options& options, std::string& payload,
                                  std::string& target) {
    payload.clear();
    target.clear();
    if (url.has_placeholders()) {
        // expand_target looks every placeholder up itself: no separate check<Event>() per event.
        if (const auto ec = url.expand_target(event, target))
            return ec == boost::system::errc::invalid_argument
                       ? make_error_code(error::url_placeholder_mismatch)
                       : ec;
    }
    boost::system::error_code ec;
    json::write(payload, event, data_path{}, options, ec);
    return ec;
}

} // namespace detail

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(endpoint ep, dispatcher_options options)
    : own_context_(std::make_unique<boost::asio::io_context>(1)) {
    auto url = detail::parse_url_template(ep);
    core_ = std::make_shared<detail::dispatch_core<Transport, Timer>>(
        own_context_->get_executor(), detail::checked(std::move(ep)), std::move(options),
        std::move(url), true);
    own_thread_ = std::thread([ctx = own_context_.get()] {
        auto work = boost::asio::make_work_guard(*ctx);
        ctx->run();
    });
    core_->start();
}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::basic_dispatcher(boost::asio::any_io_executor executor,
                                                     endpoint ep, dispatcher_options options) {
    auto url = detail::parse_url_template(ep);
    core_ = std::make_shared<detail::dispatch_core<Transport, Timer>>(
        std::move(executor), detail::checked(std::move(ep)), std::move(options), std::move(url),
        false);
    core_->start();
}

template <class Transport, class Timer>
basic_dispatcher<Transport, Timer>::~basic_dispatcher() {
    core_->stop_accepting();
    core_->flush(core_->options().shutdown_timeout);
    // Late completions of requests still in flight find their events reported already.
    core_->abandon_all();
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
template <class Event>
void basic_dispatcher<Transport, Timer>::bind() const {
    if (auto problem = core_->url().template check<Event>())
        throw config_error({config_problem{"url", std::move(*problem)}});
}

template <class Transport, class Timer>
template <class Event>
delivery basic_dispatcher<Transport, Timer>::send(const Event& event) {
    return async_send(event, boost::asio::use_future).get();
}

template <class Transport, class Timer>
template <class Event, class CompletionToken>
auto basic_dispatcher<Transport, Timer>::async_send(const Event& event, CompletionToken&& token) {
    // Serialized now, so that the event need not outlive the call (a deferred operation
    // starts later).
    std::string payload, target;
    const auto prepared =
        detail::prepare(event, core_->url(), core_->options().json, payload, target);
    return boost::asio::async_initiate<CompletionToken, void(delivery)>(
        [](auto handler, std::shared_ptr<detail::dispatch_core<Transport, Timer>> core,
           boost::system::error_code prepared, std::string payload, std::string target) {
            // The handler's own executor (the dispatcher's strand if it has none), kept busy
            // until the outcome: it must not run out of work while the event is in flight.
            auto work = boost::asio::prefer(
                boost::asio::get_associated_executor(handler, core->strand()),
                boost::asio::execution::outstanding_work.tracked);
            // Completes there, never inside this call.
            auto complete = [handler = std::move(handler),
                             work = std::move(work)](delivery d) mutable {
                auto ex = std::move(work);
                boost::asio::post(ex, [handler = std::move(handler), d = std::move(d)]() mutable {
                    std::move(handler)(std::move(d));
                });
            };
            if (prepared) {
                core->count_rejected();
                delivery refused;
                refused.error = prepared;
                return complete(std::move(refused));
            }
            core->accept(payload, target, std::move(complete));
        },
        token, core_, prepared, std::move(payload), std::move(target));
}

template <class Transport, class Timer>
template <class Event>
boost::system::result<event_id> basic_dispatcher<Transport, Timer>::post(const Event& event) {
    // Per-thread buffers: after the first events, preparing one allocates nothing.
    thread_local std::string payload, target;
    if (const auto ec =
            detail::prepare(event, core_->url(), core_->options().json, payload, target)) {
        core_->count_rejected();
        return ec;
    }
    return core_->accept_posted(payload, target);
}

template <class Transport, class Timer>
boost::system::result<event_id>
basic_dispatcher<Transport, Timer>::requeue(const spool_record& letter) {
    const auto accepted = core_->accept_posted(letter.payload, letter.target, &letter.id);
    if (accepted && core_->options().dead_letters)
        core_->options().dead_letters.ack(letter.sequence);
    return accepted;
}

template <class Transport, class Timer>
bool basic_dispatcher<Transport, Timer>::flush(std::chrono::milliseconds timeout) {
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
