#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_ATTEMPTS_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_ATTEMPTS_HPP

// dispatch_core: attempts: asking the attempt machine and carrying out its actions; the token
// fetch, when the authentication needs a token.

namespace webhook::detail {

/** What an attempt's end says about the receiver's load: a 429 or 503, a reset or closed
    connection and a timeout are back-pressure (an overloaded receiver does each); a refused
    connection, a TLS or DNS failure and other statuses say nothing about load. */
inline adaptive_outcome load_signal(boost::system::error_code ec, int status) noexcept {
    namespace asio_error = boost::asio::error;
    if (!ec)
        return adaptive_outcome_of(static_cast<unsigned>(status));
    if (ec == boost::beast::error::timeout || ec == boost::beast::http::error::end_of_stream ||
        ec == asio_error::connection_reset || ec == asio_error::connection_aborted ||
        ec == asio_error::broken_pipe || ec == asio_error::eof || ec == asio_error::timed_out)
        return adaptive_outcome::back_pressure;
    return adaptive_outcome::other_failure;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::attempt_context_locked() -> attempt_context<clock> {
    return {config_.max_event_age, config_.retry, breaker_,
            config_.rate_limit.per_second > 0 ? &bucket_ : nullptr,
            token_ ? &token_->cache : nullptr};
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::attempt_now(slot& s, std::uint64_t generation) -> void {
    const auto now = clock::now();
    action next;
    waiter_list ready;
    {
        std::lock_guard lock(mutex_);
        if (generation != s.generation)
            return; // abandoned while it waited
        if (limit_.adaptive() && !limit_locked(s, generation, next, now))
            return; // waits for another request to finish
        if (next.step != attempt_step::wait) {
            next = before_attempt(attempt_context_locked(), s.progress, now);
            if (next.step != attempt_step::send && s.limited)
                release_locked(s, ready); // not sent now: its place goes to another
        }
        prepare_locked(s, generation, next, now);
    }
    carry_out(s, generation, next);
    resume(ready);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::limit_locked(slot& s, std::uint64_t generation, action& next,
                                                   time_point now) -> bool {
    if (limit_.paused(now)) { // a Retry-After holds every request to the endpoint
        next.step = attempt_step::wait;
        next.at = limit_.paused_until();
        return true;
    }
    if (sending_ >= limit_.limit()) {
        limit_waiters_.push_back({&s, generation});
        return false;
    }
    s.limited = true;
    limit_.on_start(++sending_);
    return true;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::release_locked(slot& s, waiter_list& ready) -> void {
    s.limited = false;
    --sending_;
    while (!limit_waiters_.empty() && sending_ + ready.size() < limit_.limit()) {
        ready.push_back(limit_waiters_.front());
        limit_waiters_.pop_front();
    }
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::resume(const waiter_list& ready) -> void {
    for (const auto& [s, generation] : ready)
        attempt_now(*s, generation);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::prepare_locked(slot& s, std::uint64_t generation,
                                                     const action& next, time_point now) -> void {
    s.circuit_wait = next.step == attempt_step::wait && next.circuit_wait;
    if (next.step == attempt_step::send && next.authorize)
        s.request.set(boost::beast::http::field::authorization, token_->cache.authorization());
    if (next.step == attempt_step::fetch_token || next.step == attempt_step::await_token) {
        s.attempt_start = now; // a failed token request is this attempt's failure
        token_->waiters.emplace_back(&s, generation);
    }
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::carry_out(slot& s, std::uint64_t generation,
                                                const action& next) -> void {
    report_circuit(next.circuit);
    switch (next.step) {
    case attempt_step::send:
        return send_attempt(s, generation);
    case attempt_step::wait:
        s.timer->expires_at(next.at);
        return s.timer->async_wait(
            [self = this->shared_from_this(), &s, generation](boost::system::error_code) {
                self->attempt_now(s, generation);
            });
    case attempt_step::fetch_token:
        return fetch_token();
    case attempt_step::await_token:
        return;
    case attempt_step::settle:
        return settle(s, generation, next.status, next.error);
    }
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::send_attempt(slot& s, std::uint64_t generation) -> void {
    s.attempt_start = clock::now();
    if (s.trace) { // each attempt a child span of the caller's
        s.span = make_span_id(span_rng_());
        replace_field(s.request, "traceparent", s.trace->child_traceparent(s.span));
    }
    if (signer_.enabled())
        signer_.sign(s.request, s.events.front().id.view(),
                     std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count(),
                     s.request.body(), sign_buffers_);
    send_request(
        url_.origin(), s.request,
        [self = this->shared_from_this(), &s, generation](boost::system::error_code ec,
                                                          http_response response) {
            self->on_response(s, generation, ec, std::move(response));
        },
        &s.timing);
}

template <class Transport, class Timer>
template <class Handler>
auto dispatch_core<Transport, Timer>::send_request(const origin& where, const http_request& request,
                                                   Handler done, transport_timing* timing) -> void {
    if constexpr (async_transport<Transport>) {
        // With one thread, its context's executor serializes as well as the strand does,
        // and more cheaply: a strand of an any_io_executor allocates on every hand-off.
        const auto send = [&](auto&& handler) {
            if constexpr (timed_async_transport<Transport>)
                if (timing)
                    return transport_->async_send(where, request, *timing,
                                                  std::forward<decltype(handler)>(handler));
            transport_->async_send(where, request, std::forward<decltype(handler)>(handler));
        };
        if (one_thread_)
            send(boost::asio::bind_executor(strand_.get_inner_executor(), std::move(done)));
        else
            send(boost::asio::bind_executor(strand_, std::move(done)));
    } else {
        boost::asio::post(
            *blocking_pool_, [this, &where, &request, timing, done = std::move(done)]() mutable {
                boost::system::error_code ec;
                http_response response;
                if constexpr (timed_blocking_transport<Transport>)
                    response = timing ? transport_->send(where, request, *timing, ec)
                                      : transport_->send(where, request, ec);
                else
                    response = transport_->send(where, request, ec);
                boost::asio::post(strand_, [done = std::move(done), ec,
                                            response = std::move(response)]() mutable {
                    done(ec, std::move(response));
                });
            });
    }
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::fetch_token() -> void {
    send_request(
        authenticator_.token_origin(), token_->request,
        [self = this->shared_from_this()](boost::system::error_code ec, http_response response) {
            self->on_token(ec, std::move(response));
        });
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::on_token(boost::system::error_code ec, http_response response)
    -> void {
    const auto token = authenticator_.read_token(ec, response);
    http_response refusal;
    if (!ec && response.result_int() / 100 != 2) // never a 2xx body: it may hold a token
        refusal.body() = std::move(response.body());
    std::vector<std::pair<slot*, std::uint64_t>> waiters;
    {
        std::lock_guard lock(mutex_);
        if (token)
            token_->cache.fetched(*token, clock::now());
        else
            token_->cache.failed();
        waiters.swap(token_->waiters);
    }
    for (const auto& [s, generation] : waiters) {
        if (token)
            attempt_now(*s, generation);
        else
            on_response(*s, generation, token.error(), refusal);
    }
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::on_response(slot& s, std::uint64_t generation,
                                                  boost::system::error_code ec,
                                                  http_response response) -> void {
    const auto now = clock::now();
    attempt a;
    a.error = ec;
    a.status = ec ? 0 : static_cast<int>(response.result_int());
    a.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.attempt_start);
    // With an error, a body is the token endpoint's refusal (else there is none).
    a.body_excerpt.assign(response.body(), 0,
                          std::min(response.body().size(), delivery::body_excerpt_limit));
    attempt_answer answer{ec, a.status, {}, 0};
    if (!ec)
        if (const auto it = response.find(boost::beast::http::field::retry_after);
            it != response.end())
            answer.retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
    action next;
    waiter_list ready;
    time_point accepted{};
    {
        std::lock_guard lock(mutex_);
        if (s.limited) {
            limit_.on_result(now, now - s.attempt_start, load_signal(ec, a.status));
            if (answer.retry_after)
                limit_.on_retry_after(now + *answer.retry_after);
            release_locked(s, ready);
        }
        if (generation != s.generation)
            return; // abandoned at shutdown, already reported
        answer.random01 = std::uniform_real_distribution<>{}(rng_);
        s.last_status = a.status;
        next = after_answer(attempt_context_locked(), s.progress, answer, now);
        if (next.retry_delay) {
            a.retry_delay = *next.retry_delay;
            ++counters_.retried_attempts;
        }
        s.attempts.push_back(std::move(a));
        accepted = s.progress.accepted;
        prepare_locked(s, generation, next, now);
    }
    if (options_.on_attempt || metrics_)
        observe_attempt(s, s.attempts.back(), accepted);
    s.timing = {}; // a failed token request is an attempt the transport did not time
    carry_out(s, generation, next);
    resume(ready);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::observe_attempt(const slot& s, const attempt& a,
                                                      time_point accepted) -> void {
    if (metrics_)
        metrics_->attempt(a.status, a.error, a.elapsed);
    if (!options_.on_attempt)
        return;
    attempt_record r;
    r.endpoint = name_;
    r.id = s.events.front().id;
    r.events = s.events.size();
    r.number = s.attempts.size();
    r.method = config_.method;
    r.url = url_text_;
    r.status = a.status;
    r.error = a.error;
    r.total = a.elapsed;
    r.started = std::chrono::system_clock::now() -
                std::chrono::duration_cast<std::chrono::system_clock::duration>(a.elapsed);
    r.queue_wait = std::chrono::duration_cast<std::chrono::nanoseconds>(s.attempt_start - accepted);
    if (s.timing.reported) {
        r.timed = true;
        r.reused = s.timing.reused;
        r.resolve = s.timing.resolve;
        r.connect = s.timing.connect;
        r.tls = s.timing.tls;
        r.first_byte = s.timing.first_byte;
        r.bytes_sent = s.timing.bytes_sent;
    }
    if (s.trace) {
        r.trace_id = s.trace->trace_id();
        r.span_id = std::string_view(s.span.data(), s.span.size());
    }
    if (a.retry_delay > std::chrono::milliseconds{0})
        r.retry_delay = a.retry_delay;
    options_.on_attempt(r);
}

} // namespace webhook::detail

#endif
