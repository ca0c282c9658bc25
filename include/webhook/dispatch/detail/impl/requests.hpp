#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_REQUESTS_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_REQUESTS_HPP

// dispatch_core: from the queue to requests: pumping, batching, lingering, building a request body.

namespace webhook::detail {

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::batch_byte_limit() const noexcept -> std::size_t {
    std::size_t room = config_.max_body_size - config_.data_location.prefix().size() -
                       config_.data_location.suffix().size();
    if (config_.compression == compression::gzip) {
        const std::size_t overhead = 18 + 5 * (room / 16'383 + 1);
        room = room > overhead ? room - overhead : 0;
    }
    return std::min(config_.batch.max_bytes, room);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::schedule_pump() -> void {
    {
        std::lock_guard lock(mutex_);
        if (pump_scheduled_)
            return;
        pump_scheduled_ = true;
    }
    post_pump();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::post_pump() -> void {
    boost::asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::pump() -> void {
    if (options_.spool) {
        {
            // Cleared before reading, so that an append that the read misses schedules
            // another pump.
            std::lock_guard lock(mutex_);
            pump_scheduled_ = false;
        }
        refill();
    }
    boost::container::small_vector<slot*, 16> started; // begin() may pump again
    {
        std::lock_guard lock(mutex_);
        pump_scheduled_ = false;
        for (std::size_t i = 0; !queue_.empty(); ++i) {
            if (i == slots_.size()) { // every slot busy: another, up to max_in_flight
                if (i == slot_capacity_)
                    break;
                slots_.push_back(std::make_unique<slot>(strand_));
                slots_.back()->request = prototype_;
            }
            slot* s = slots_[i].get();
            if (s->busy)
                continue;
            if (!take_batch(*s))
                break;
            s->busy = true;
            ++busy_slots_;
            in_flight_ += s->events.size();
            started.push_back(s);
        }
    }
    for (slot* s : started)
        begin(*s);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::next_free_key() const -> std::size_t {
    const auto held = [&](std::string_view key) {
        return std::any_of(slots_.begin(), slots_.end(), [&](const auto& s) {
            return s->busy && !s->events.empty() &&
                   ordering_key_of(s->events.front().headers) == key;
        });
    };
    // Any earlier event with the same key would be free too, and taken first: per key, FIFO.
    const std::size_t look = std::min(queue_.size(), ordering_lookahead);
    for (std::size_t i = 0; i < look; ++i) {
        const std::string_view key = ordering_key_of(queue_[i].headers);
        if (key.empty() || !held(key))
            return i;
    }
    return queue_.size();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::take_batch(slot& s) -> bool {
    // An event with an ordering key waits while another slot has one of that key.
    if (const std::size_t i = keyed_ ? next_free_key() : 0; i != 0) {
        if (i == queue_.size())
            return false;
        s.events.push_back(queue_.take(i)); // alone: the front is of another key
    } else if (!queue_.front().done && batching()) {
        const std::size_t limit = batch_byte_limit();
        std::size_t count = 0, bytes = 1; // '[' and then a ',' or ']' per event
        bool full = false;
        for (std::size_t i = 0; i < queue_.size(); ++i) {
            const pending& p = queue_[i];
            // One request has one set of headers: events with other ones go in the next.
            if (p.done || count == config_.batch.max_events ||
                p.headers != queue_.front().headers ||
                (count > 0 && bytes + p.payload.size() + 1 > limit)) {
                full = true;
                break;
            }
            bytes += p.payload.size() + 1;
            ++count;
        }
        const auto due = queue_.front().accepted + config_.batch.linger;
        if (!full && count < config_.batch.max_events && flushing_ == 0 && !stopping_ &&
            clock::now() < due) {
            arm_linger(due);
            return false;
        }
        for (std::size_t i = 0; i < count; ++i) {
            s.events.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
    } else {
        s.events.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    if (blocked_ > 0 && queue_.size() <= low_water())
        room_.notify_all();
    return true;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::arm_linger(time_point due) -> void {
    if (linger_armed_)
        return;
    linger_armed_ = true;
    linger_timer_->expires_at(due);
    linger_timer_->async_wait([self = this->shared_from_this()](boost::system::error_code) {
        {
            std::lock_guard lock(self->mutex_);
            self->linger_armed_ = false;
        }
        self->pump();
    });
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::begin(slot& s) -> void {
    namespace http = boost::beast::http;
    std::string& body = s.request.body();
    const data_path& where = config_.data_location;
    body.assign(where.prefix());
    if (s.events.size() == 1 && !(batching() && !s.events.front().done)) {
        body.append(s.events.front().payload);
    } else {
        body.push_back('[');
        for (const auto& ev : s.events) {
            body.append(ev.payload);
            body.push_back(',');
        }
        body.back() = ']';
    }
    body.append(where.suffix());
    if (config_.compression == compression::gzip) {
        if (const auto ec = gzip_.compress(body, s.compressed))
            return settle(s, s.generation, delivery_status::failed, ec);
        body.swap(s.compressed);
        // What a receiver's limit means: the bytes it gets. Only a single event can be
        // over it here (batches are filled to a bound that fits); it is never sent.
        if (body.size() > config_.max_body_size)
            return settle(s, s.generation, delivery_status::failed, error::request_body_too_large);
    }
    const pending& first = s.events.front();
    if (url_.has_placeholders())
        s.request.target(first.target);
    if (first.headers != s.event_headers) {
        for_each_header_line(s.event_headers, [&](std::string_view name, std::string_view) {
            s.request.erase(name);
        });
        s.trace.reset();
        for_each_header_line(first.headers, [&](std::string_view name, std::string_view value) {
            if (check_header(name, value)) // read back from a spool: checked once more
                return;
            s.request.insert(name, value);
            if (iequals(name, "traceparent"))
                if (auto trace = trace_context::parse(value))
                    s.trace = std::move(*trace);
        });
        s.event_headers.assign(first.headers);
    }
    // A batch goes under its first event's id: the same on every attempt of the batch.
    replace_field(s.request, "webhook-id", first.id.view());
    char length[24];
    const auto written = std::to_chars(std::begin(length), std::end(length), body.size());
    replace_field(s.request, boost::beast::http::field::content_length,
                  std::string_view(length, static_cast<std::size_t>(written.ptr - length)));
    s.attempts.clear();
    s.last_status = 0;
    {
        std::lock_guard lock(mutex_);
        s.progress.restart(first.accepted, clock::now());
    }
    attempt_now(s, s.generation);
}

} // namespace webhook::detail

#endif
