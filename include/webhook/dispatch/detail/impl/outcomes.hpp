#ifndef WEBHOOK_DISPATCH_DETAIL_IMPL_OUTCOMES_HPP
#define WEBHOOK_DISPATCH_DETAIL_IMPL_OUTCOMES_HPP

// dispatch_core: outcomes: settling a request, abandoning at shutdown, reporting outside the lock.

namespace webhook::detail {

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::abandon_all() -> std::vector<event_id> {
    outcome_list outcomes;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        const auto now = clock::now();
        while (!queue_.empty()) {
            outcomes.push_back(outcome_of(std::move(queue_.front()), delivery_status::abandoned,
                                          error::abandoned_at_shutdown, 0, {}, 1, now));
            queue_.pop_front();
            ++counters_.abandoned;
        }
        for (auto& s : slots_) {
            if (!s->busy)
                continue;
            ++s->generation;
            s->busy = false;
            --busy_slots_;
            in_flight_ -= s->events.size();
            for (auto& ev : s->events) {
                outcomes.push_back(outcome_of(std::move(ev), delivery_status::abandoned,
                                              error::abandoned_at_shutdown, s->last_status,
                                              s->attempts, s->events.size(), now));
                ++counters_.abandoned;
            }
            s->events.clear();
        }
        reporting_ += outcomes.size();
    }
    std::vector<event_id> ids;
    for (const settled& o : outcomes)
        ids.push_back(o.outcome.id);
    report(outcomes);
    return ids;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::settle(slot& s, std::uint64_t generation,
                                             delivery_status status, boost::system::error_code ec)
    -> void {
    outcome_list outcomes;
    {
        std::lock_guard lock(mutex_);
        if (generation != s.generation)
            return;
        const auto now = clock::now();
        const std::size_t batch = s.events.size();
        for (auto& ev : s.events)
            outcomes.push_back(outcome_of(std::move(ev), status, ec, s.last_status,
                                          batch == 1 ? std::move(s.attempts) : s.attempts, batch,
                                          now));
        auto& count = status == delivery_status::delivered ? counters_.delivered : counters_.failed;
        count += batch;
        s.events.clear();
        s.busy = false;
        --busy_slots_;
        in_flight_ -= batch;
        reporting_ += outcomes.size();
    }
    report(outcomes);
    pump();
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::report_circuit(std::optional<circuit_state> changed) -> void {
    if (!changed)
        return;
    if (*changed == circuit_state::closed)
        for (auto& s : slots_)
            if (s->busy && s->circuit_wait)
                s->timer->cancel(); // its handler asks the breaker again
    {
        std::lock_guard lock(mutex_);
        counters_.circuit = *changed;
    }
    if (options_.on_circuit_change)
        options_.on_circuit_change(*changed);
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::outcome_of(
    pending&& ev, delivery_status status, boost::system::error_code ec, int http_status,
    boost::container::small_vector<attempt, 1> attempts, std::size_t batch, time_point now)
    -> settled {
    settled out{delivery{}, std::move(ev)};
    delivery& d = out.outcome;
    d.id = out.event.id;
    d.status = status;
    d.error = ec;
    d.http_status = http_status;
    d.attempts = std::move(attempts);
    d.total_time = std::chrono::duration_cast<std::chrono::nanoseconds>(now - out.event.accepted);
    d.batch_size = batch;
    return out;
}

template <class Transport, class Timer>
auto dispatch_core<Transport, Timer>::report(outcome_list& outcomes) -> void {
    if (outcomes.empty())
        return;
    const auto now = metrics_ ? clock::now() : time_point{}; // for the delay histogram
    for (auto& o : outcomes) {
        if (metrics_ && o.outcome.status != delivery_status::rejected)
            metrics_->settled(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - o.event.accepted));
        if (options_.spool || options_.dead_letters)
            settle_in_spools(o.event, o.outcome);
        if (o.event.done)
            std::move(o.event.done)(std::move(o.outcome));
        else if (options_.on_outcome)
            options_.on_outcome(o.outcome);
    }
    std::lock_guard lock(mutex_);
    reporting_ -= outcomes.size();
    for (auto& o : outcomes)
        recycle(std::move(o.event));
    if (idle_locked())
        settled_.notify_all();
}

} // namespace webhook::detail

#endif
