#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_ADMISSION_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_ADMISSION_HPP

// dispatch_core: admission: what is refused, the overflow policy, the queue and its recycled buffers.

namespace webhook::detail {

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::accept(const event_text& text, completion done,
                                             const event_id* id)
    -> boost::system::result<event_id> {
    const bool posted = !done;
    outcome_list outcomes;
    boost::system::result<event_id> result = make_error_code(error::queue_full);
    bool wake = false;
    {
        std::unique_lock lock(mutex_);
        boost::system::error_code refused = refusal_locked(text.payload, posted);
        if (!refused)
            refused = make_room(lock, posted, outcomes);
        if (refused) {
            result = refused;
        } else {
            result = enqueue(text, std::move(done), id);
            // With every slot busy, the next settle pumps: no need to wake the I/O thread.
            wake = busy_slots_ < slot_capacity_ && !pump_scheduled_;
            pump_scheduled_ = pump_scheduled_ || wake;
        }
        if (!result) {
            ++counters_.rejected;
            if (done) { // an asynchronous caller hears of the refusal as its outcome
                pending event{};
                event.done = std::move(done);
                outcomes.push_back(settled{refusal(result.error()), std::move(event)});
            }
        }
        reporting_ += outcomes.size();
    }
    report(outcomes);
    if (wake)
        post_pump();
    return result;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::accept_posted(const event_text& text, const event_id* id)
    -> boost::system::result<event_id> {
    return options_.spool ? accept_spooled(text, id) : accept(text, {}, id);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::accept_spooled(const event_text& text, const event_id* id,
                                                     const appender_ref* into)
    -> boost::system::result<event_id> {
    thread_local spool_record record; // reused: appending allocates nothing after warm-up
    event_id given;
    // The caller's transaction may still roll back: nothing of it is counted here. In a
    // shared spool, any process may deliver the event: the one that reads it counts it.
    const bool own = into == nullptr;
    {
        std::lock_guard lock(mutex_);
        if (const auto refused = refusal_locked(text.payload, true)) {
            ++counters_.rejected;
            return refused;
        }
        given = id ? *id : new_id_locked();
        if (own) {
            // Counted before the append, so that a reader never sees more read than written.
            ++(shared_ ? appends_ : unread_);
            counters_.accepted += shared_ ? 0 : 1;
        }
    }
    fill_record(record, given, std::chrono::system_clock::now(), text);
    const auto appended = own ? options_.spool.append(record) : into->append(into->target, record);
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (!appended) {
            if (own) {
                --(shared_ ? appends_ : unread_);
                counters_.accepted -= shared_ ? 0 : 1;
            }
            ++counters_.rejected;
            if (idle_locked())
                settled_.notify_all();
            return appended.error();
        }
        wake = own && queue_.size() < config_.queue.capacity && !pump_scheduled_;
        pump_scheduled_ = pump_scheduled_ || wake;
    }
    if (wake)
        post_pump();
    return record.id;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::count_rejected() -> void {
    std::lock_guard lock(mutex_);
    ++counters_.rejected;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::refusal_locked(std::string_view payload, bool posted) const
    -> boost::system::error_code {
    const std::size_t framing = config_.data_location.prefix().size() +
                                config_.data_location.suffix().size() +
                                (batching() && posted ? 2 : 0);
    if (stopping_)
        return error::dispatcher_stopped;
    if (config_.compression == compression::none &&
        payload.size() + framing > config_.max_body_size)
        return error::request_body_too_large;
    return {};
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::new_id_locked() -> event_id {
    std::uniform_int_distribution<std::uint64_t> bits;
    return event_id(std::chrono::system_clock::now(), bits(rng_), bits(rng_));
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::make_room(std::unique_lock<std::mutex>& lock, bool posted,
                                                outcome_list& outcomes)
    -> boost::system::error_code {
    if (queue_.size() < config_.queue.capacity)
        return {};
    switch (config_.queue.when_full) {
    case overflow_policy::reject:
        break;
    case overflow_policy::block:
        if (!posted) // an asynchronous caller must never be blocked
            break;
        if (on_own_executor()) // nothing would make room while this thread waits
            return error::would_deadlock;
        return wait_for_room(lock);
    case overflow_policy::drop_oldest:
        outcomes.push_back(outcome_of(std::move(queue_.front()), delivery_status::dropped,
                                      error::dropped_from_full_queue, 0, {}, 1, clock::now()));
        queue_.pop_front();
        ++counters_.dropped;
        return {};
    }
    return error::queue_full;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::wait_for_room(std::unique_lock<std::mutex>& lock)
    -> boost::system::error_code {
    constexpr std::chrono::milliseconds look_again{10};
    const std::size_t capacity = config_.queue.capacity;
    const auto deadline = std::chrono::steady_clock::now() + config_.queue.block_timeout;
    ++blocked_;
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (stopping_ || queue_.size() < capacity || now >= deadline)
            break;
        room_.wait_for(lock,
                       std::min<std::chrono::steady_clock::duration>(deadline - now, look_again),
                       [&] { return stopping_ || queue_.size() <= low_water(); });
    }
    --blocked_;
    if (stopping_) // shutdown, not backpressure: a producer loop must see the difference
        return error::dispatcher_stopped;
    return queue_.size() < capacity ? boost::system::error_code{} : error::queue_full;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::low_water() const noexcept -> std::size_t {
    return config_.queue.capacity - std::max<std::size_t>(config_.queue.capacity / 4, 1);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::enqueue(const event_text& text, completion done,
                                              const event_id* given) -> event_id {
    const event_id id = given ? *given : new_id_locked();
    pending p{
        id, take_buffer(), {}, {}, clock::now(), std::move(done), std::chrono::system_clock::now()};
    p.payload.assign(text.payload);
    p.target.assign(text.target);
    p.headers.assign(text.headers);
    keyed_ = keyed_ || !ordering_key_of(p.headers).empty();
    queue_.push_back(std::move(p));
    ++counters_.accepted;
    return id;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::take_buffer() -> std::string {
    if (spare_.empty())
        return {};
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::recycle(pending&& p) -> void {
    const std::size_t per_slot = std::max<std::size_t>(config_.batch.max_events, 1);
    if (spare_.size() < config_.queue.capacity + 2 * slot_capacity_ * per_slot) {
        p.payload.clear();
        spare_.push_back(std::move(p.payload));
    }
}

} // namespace webhook::detail

#endif
