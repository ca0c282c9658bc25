#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_SPOOL_FEED_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_SPOOL_FEED_HPP

// dispatch_core: the spool: replay at start, reading back into the queue, acknowledgement and dead letters.

namespace webhook::detail {

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::count_replay() -> void {
    std::uint64_t from = 0;
    for (;;) {
        if (const auto ec = options_.spool.read(from, read_chunk, spool_buffer_))
            throw boost::system::system_error(ec, "webhook: reading the spool");
        if (spool_buffer_.empty()) // a short read need not be the end
            break;
        unread_ += spool_buffer_.size();
        from = spool_buffer_.back().sequence + 1;
    }
    counters_.accepted += unread_;
    counters_.replayed = unread_;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::refill() -> void {
    std::size_t room = 0;
    std::uint64_t appends = 0;
    {
        std::lock_guard lock(mutex_);
        if ((unread_ == 0 && !shared_) || queue_.size() >= config_.queue.capacity)
            return;
        room = std::min(config_.queue.capacity - queue_.size(), read_chunk);
        if (shared_) {
            // Taken in small helpings, so that other processes share the work and a
            // process that dies leaves little for them to claim.
            if (queue_.size() >= slot_capacity_)
                return;
            room = std::min(room, 2 * slot_capacity_);
        }
        appends = appends_;
    }
    if (options_.spool.read(next_read_, room, spool_buffer_)) {
        // Kept unread: tried again in a second (or at the next pump), so that a passing
        // I/O error does not leave the backlog waiting for the next post.
        std::lock_guard lock(mutex_);
        arm_linger(clock::now() + std::chrono::seconds(1));
        return;
    }
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(mutex_);
    if (shared_ && spool_buffer_.empty()) {
        // Everything appended before this read was taken, by this process or another.
        drained_ = appends;
        if (idle_locked())
            settled_.notify_all();
        arm_linger(clock::now() + options_.spool_poll_interval);
        return;
    }
    for (spool_record& r : spool_buffer_) {
        const auto age = std::max(now - r.created, std::chrono::system_clock::duration::zero());
        pending p{r.id,
                  take_buffer(),
                  {},
                  {},
                  clock::now() - std::chrono::duration_cast<typename clock::duration>(age),
                  {},
                  r.created,
                  r.sequence};
        p.payload.swap(r.payload); // the record's buffer goes back to the spool's reads
        p.target.swap(r.target);
        p.headers.swap(r.headers);
        keyed_ = keyed_ || !ordering_key_of(p.headers).empty();
        queue_.push_back(std::move(p));
        if (!shared_) {
            next_read_ = r.sequence + 1;
            --unread_;
        }
    }
    if (shared_) // counted by the process that delivers, not the one that appended
        counters_.accepted += spool_buffer_.size();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::fill_record(spool_record& out, const event_id& id,
                                                  std::chrono::system_clock::time_point created,
                                                  const event_text& text) const -> void {
    out.id = id;
    out.endpoint.assign(config_.url);
    out.created = created;
    out.target.assign(text.target);
    out.payload.assign(text.payload);
    out.headers.assign(text.headers);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::settle_in_spools(const pending& ev, const delivery& outcome)
    -> void {
    if (outcome.status == delivery_status::abandoned || ev.done)
        return;
    if (outcome.status != delivery_status::delivered && options_.dead_letters) {
        thread_local spool_record letter;
        fill_record(letter, ev.id, ev.created, {ev.payload, ev.target, ev.headers});
        letter.last_status = outcome.http_status;
        letter.last_error = outcome.error.message();
        // Should this fail, the event stays in the spool and is tried again after a
        // restart: never acknowledged without its dead letter.
        if (!options_.dead_letters.append(letter))
            return;
        if (metrics_)
            metrics_->dead_letter();
    }
    if (ev.sequence)
        options_.spool.ack(*ev.sequence); // a lost ack only means a duplicate later
}

} // namespace webhook::detail

#endif
