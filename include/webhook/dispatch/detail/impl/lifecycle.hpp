#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_LIFECYCLE_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_LIFECYCLE_HPP

// dispatch_core: construction helpers, counters, flush and shutdown, and where the dispatcher runs.

namespace webhook::detail {

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::counters() const -> dispatcher_counters {
    std::lock_guard lock(mutex_);
    dispatcher_counters c = counters_;
    c.queued = queue_.size();
    c.in_flight = in_flight_;
    c.spooled = unread_;
    c.concurrency_limit = limit_.limit();
    return c;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::flush(std::chrono::milliseconds timeout) -> bool {
    std::unique_lock lock(mutex_);
    ++flushing_;
    lock.unlock();
    schedule_pump(); // lingering batches go now
    lock.lock();
    const bool done = settled_.wait_for(lock, timeout, [&] { return idle_locked(); });
    --flushing_;
    return done;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::on_own_executor() const noexcept -> bool {
    if (strand_.running_in_this_thread())
        return true;
    const boost::asio::any_io_executor& inner = strand_.get_inner_executor();
    if (const auto* io = inner.template target<boost::asio::io_context::executor_type>())
        return io->running_in_this_thread();
    if (const auto* pool = inner.template target<boost::asio::thread_pool::executor_type>())
        return pool->running_in_this_thread();
    return false;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::shutdown(std::chrono::milliseconds timeout)
    -> std::vector<event_id> {
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return {};
        shut_down_ = stopping_ = true;
        room_.notify_all();
    }
    if (timeout.count() > 0 && !on_own_executor() && !context_stopped() &&
        (one_thread_ || executor_runs(std::min(timeout, liveness_grace))))
        flush(timeout);
    return abandon_all();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::release_io() -> void {
    for (auto& s : slots_)
        s->timer.reset();
    linger_timer_.reset();
    transport_.reset();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::make_transport() const -> std::shared_ptr<Transport> {
    // The inner executor, not the strand: a transport makes its own strand, and a strand
    // of a strand inside an any_io_executor costs a heap allocation on every copy.
    const boost::asio::any_io_executor ex = strand_.get_inner_executor();
    if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor,
                                          beast_transport_options>)
        return std::make_shared<Transport>(ex, transport_options(config_));
    else if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor>)
        return std::make_shared<Transport>(ex);
    else
        return std::make_shared<Transport>();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::make_headers() const -> request_headers {
    request_headers h;
    authenticator_.authorize(h);
    for (const auto& f : config_.headers)
        h.add(f.name, f.value.reveal());
    if (!config_.user_agent.empty())
        h.user_agent(config_.user_agent);
    return h;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::executor_runs(std::chrono::milliseconds grace) -> bool {
    auto ran = std::make_shared<std::promise<void>>();
    auto seen = ran->get_future();
    boost::asio::post(strand_, [ran] { ran->set_value(); });
    return seen.wait_for(grace) == std::future_status::ready;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::context_stopped() const noexcept -> bool {
    const boost::asio::any_io_executor& inner = strand_.get_inner_executor();
    const auto* io = inner.template target<boost::asio::io_context::executor_type>();
    return io != nullptr && io->context().stopped();
}

} // namespace webhook::detail

#endif
