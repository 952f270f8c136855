package io.pikemix.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.MixerState;
import io.pikemix.mixer.Pooling;
import io.pikemix.mixer.Simplex;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.WeightChange;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The service's side of the mixer: the frozen per-step {@link MixerState}s (so any handed-out manifest can be served
 * again), the workers' statistics reports until all n are in, durability and readiness.
 *
 * <p><b>Memory.</b> Nothing held in memory grows with the steps served: the states of the frozen steps live in
 * {@link FrozenStates} and the weight history in {@link HistoryFile} (files rebuilt from the event log on every
 * start), the answers of {@link #CACHED_MANIFESTS} recently frozen or read steps are cached and any other is
 * recomputed from its state by the same {@code Mixer.plan} that first computed it, reports are kept only for the
 * open step, and closed steps are recognised by a rule ({@link #closed}), not a set ({@link #retained()} counts
 * what is held). The step rule, pinning and
 * pooling are {@link Mixer}'s and {@link Pooling}'s, the same code the trainers run. Every mutation is validated
 * first, then written to the {@link EventLog} (fsynced), then applied, so a refused request changes nothing and a
 * replay of the log rebuilds the same state. Thread-safe: one lock, except that the answers of the recently frozen
 * steps are read without it ({@link #manifest}).
 *
 * <p><b>Readiness.</b> The frozen prefix is the steps the mixer has handed out ({@code states.get(t)} composes
 * step t). The manifest of step t + 1 is <em>ready</em> once, for every step s ≤ t that wants statistics
 * ({@link Mixer#wantsStatistics}), all n workers have reported; until then it is answered with 425 (not ready). The
 * first time a manifest beyond the frozen prefix is served, the prefix is extended to it (and on through up to
 * {@link #FREEZE_AHEAD} further steps that are ready) and a {@code freeze} event is logged: frozen steps never
 * change, and pins may only target steps after the prefix whose weights are not final ({@link Mixer#firstOpenStep}).
 * A report for step t is accepted only if the manifest of step t has been served, step t wants statistics, the
 * worker is one of the n and has not reported t before; the last of the n reports closes the step, and the pooled
 * update makes the weights of step t + 1 final.
 */
final class MixerCore {
    /** How far past the frozen prefix one manifest request may extend it. */
    static final int MAX_AHEAD = 4096;
    /** A served manifest also freezes up to this many following steps that are ready (one log record for all). */
    static final int FREEZE_AHEAD = 32;

    /** A frozen step's manifest; it may be shown once the event log is durable up to {@code durableAt}. */
    record Served(StepManifest manifest, boolean wantsStatistics, long durableAt) {
        long step() {
            return manifest.step();
        }
    }

    /**
     * Answer to an accepted report; it may be given once the event log is durable up to {@code durableAt} (the end
     * of the report's own event: events written after it, by other reports, need not be waited for).
     */
    record Accepted(long step, int reported, int workers, boolean closed, long durableAt) {}

    private final MixConfig config;
    private final Mixer mixer;
    private final int workers;
    private final EventLog log;

    /**
     * Manifests kept in memory: the most recently frozen or read steps (older ones are recomputed from their state).
     * A power of two.
     */
    static final int CACHED_MANIFESTS = 256;
    /** Views of events written but not yet durable, kept before those that are durable are dropped. */
    static final int PENDING_VIEWS = 64;

    private long frozen; // steps 0..frozen-1 are frozen (handed out)
    private MixerState lastFrozen; // composes step frozen - 1
    private final FrozenStates states; // the state composing every frozen step, on disk
    private final HistoryFile historyFile; // the weight changes of the frozen steps, on disk
    private final ArrayDeque<WeightChange> changesAhead = new ArrayDeque<>(); // changes at steps not yet frozen
    /** Reports of the steps still open (wanting statistics, not all n in): in practice one step, the awaited one. */
    private final TreeMap<Long, StatsReport[]> reports = new TreeMap<>();

    /**
     * The answers for the most recently frozen (or re-read) steps, slot {@code step mod CACHED_MANIFESTS}: written
     * under the lock, read without it ({@link #manifest}'s fast path), each entry immutable.
     */
    private final AtomicReferenceArray<Served> cache = new AtomicReferenceArray<>(CACHED_MANIFESTS);
    /** {@link #frozen}, published for the readers that take no lock. */
    private volatile long frozenPublished;
    /** Set while a reader extends the frozen prefix ahead of the readers, so the others do not queue behind it. */
    private final AtomicBoolean freezingAhead = new AtomicBoolean();

    private long reportsAccepted;
    private long lastClosedStep = -1;
    /** Log position of the freeze event that froze each run of steps (key: its last step), until it is durable. */
    private final TreeMap<Long, Long> freezeAt = new TreeMap<>();

    private long durableThrough = -1; // every step up to it is durably frozen
    /** The view as of the newest durable event, and views of events written but maybe not yet durable. */
    private volatile View durableView;

    private final ArrayDeque<Map.Entry<Long, View>> pendingViews = new ArrayDeque<>();

    MixerCore(MixConfig config, Strategy strategy, int workers, EventLog log, Path stateDir) {
        this.config = config;
        this.mixer = new Mixer(config, strategy);
        this.workers = workers;
        this.log = log;
        this.states = new FrozenStates(stateDir, config.seed(), config.domainCount());
        HistoryFile h = null;
        try {
            h = new HistoryFile(stateDir);
        } finally {
            if (h == null) states.close();
        }
        this.historyFile = h;
        try {
            synchronized (this) {
                handOut(0); // step 0 is frozen from the start
                log.replay((line, e) -> {
                    try {
                        replay(e);
                    } catch (ApiException | UserException ex) {
                        throw new UserException(EventLog.FILE + " line " + line
                                + " does not replay on this configuration (" + ex.getMessage()
                                + "); was the state directory made with other options?");
                    }
                });
                durableView = currentView();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Closes the derived files (the event log is the server's). */
    void close() {
        states.close();
        historyFile.close();
    }

    private void replay(JsonNode e) {
        String type = e.path("type").asText();
        switch (type) {
            case "stats" -> report(StatsReport.parse(withoutType(e), config.domainCount()), null);
            case "pin" ->
                control(e.get("from_step").asLong(), Json.doubles(e, "weights", config.domainCount(), true), false);
            case "release" -> control(e.get("from_step").asLong(), null, false);
            case "freeze" -> freeze(e.get("through_step").asLong(), false);
            default -> throw new UserException("unknown event type '" + type + "'");
        }
    }

    private static JsonNode withoutType(JsonNode e) {
        var copy = e.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove("type");
        return copy;
    }

    // ---- manifests ------------------------------------------------------------------------------------------

    /**
     * The manifest of {@code step}, waiting up to {@code waitMillis} for it to become ready. A frozen step whose
     * answer is cached is served without the lock (a statistics write, its fsync or a freeze never delays it); a
     * read near the end of the frozen prefix extends it ({@link #freezeAhead}) unless another reader is doing so.
     */
    Served manifest(long step, long waitMillis) throws InterruptedException {
        if (step < 0) throw ApiException.invalid("step must be >= 0, got " + step);
        Served cached = cache.get(slot(step));
        if (cached == null || cached.step() != step) return manifestLocked(step, waitMillis);
        if (step >= 1 && frozenPublished - 1 - step < FREEZE_AHEAD / 2 && freezingAhead.compareAndSet(false, true)) {
            try {
                synchronized (this) {
                    freezeAhead(step);
                    prune();
                }
            } finally {
                freezingAhead.set(false);
            }
        }
        return cached;
    }

    private static int slot(long step) {
        return (int) (step & (CACHED_MANIFESTS - 1));
    }

    private synchronized Served manifestLocked(long step, long waitMillis) throws InterruptedException {
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        while (true) {
            try {
                if (step >= frozen) freeze(step, true);
                prune();
                Served s = cache.get(slot(step));
                if (s == null || s.step() != step) { // an old step: recomputed from its state, as first computed
                    Map.Entry<Long, Long> at = step <= durableThrough ? null : freezeAt.ceilingEntry(step);
                    s = new Served(
                            mixer.plan(states.get(step)).manifest(),
                            mixer.wantsStatistics(step),
                            at == null ? 0 : at.getValue());
                    cache.set(slot(step), s);
                }
                freezeAhead(step);
                return s;
            } catch (ApiException e) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (e.status != 425 || left <= 0) throw e;
                wait(left);
            }
        }
    }

    /** Extends the frozen prefix through {@code step} (all or nothing), logging a freeze event when durable. */
    private void freeze(long step, boolean durable) {
        if (step < frozen) return;
        if (step - frozen >= MAX_AHEAD)
            throw ApiException.conflict(
                    "too_far_ahead",
                    "step " + step + " is more than " + MAX_AHEAD + " steps past the last served step " + (frozen - 1)
                            + "; ask for the steps in order");
        long awaited = mixer.awaiting();
        if (awaited >= 0) throw notReady(awaited, awaited + 1);
        // the prefix can reach the first step that wants statistics: the steps after it need its reports
        long until = durable ? step + FREEZE_AHEAD : step, through = frozen;
        while (through < until && !mixer.wantsStatistics(through)) through++;
        if (through < step) throw notReady(through, through + 1);
        writeFreeze(through, durable);
    }

    /** Freezes steps frozen..through, logging one freeze event when durable (not yet forced). */
    private void writeFreeze(long through, boolean durable) {
        long pos = 0;
        if (durable)
            pos = log.write(Json.object(g -> {
                g.writeStringField("type", "freeze");
                g.writeNumberField("through_step", through);
            }));
        while (frozen <= through) handOut(pos);
        if (durable) {
            freezeAt.put(through, pos);
            snapshot(pos);
        }
    }

    /**
     * Freezing ahead of the readers: when a read of step s ≥ 1 comes within {@link #FREEZE_AHEAD}/2 steps of the end
     * of the frozen prefix, the prefix is extended as the first read past it would extend it (through at most
     * s + {@link #FREEZE_AHEAD}, up to the next step that wants statistics), and the freeze event is forced in the
     * background. The readers of those steps then find them frozen and durable and never wait for an fsync. A read
     * of step 0 freezes nothing more, so an operator can pin weights before training starts.
     */
    private void freezeAhead(long step) {
        long end = frozen;
        if (step < 1 || end - 1 - step >= FREEZE_AHEAD / 2 || mixer.awaiting() >= 0) return;
        long until = step + FREEZE_AHEAD, through = end; // as freeze(): the same steps a read of
        while (through < until && !mixer.wantsStatistics(through)) through++; // `end` would freeze, bounded by s + 32
        writeFreeze(through, true);
        log.syncLater();
    }

    /**
     * The mixer hands out the next step: its state joins the frozen prefix (on disk) and its manifest the cache, to
     * be shown once the log is durable up to {@code durableAt} (the freeze event's end; 0: replayed, durable); the
     * weight changes now frozen move from the mixer to the history file.
     */
    private void handOut(long durableAt) {
        MixerState s = mixer.state();
        states.add(s);
        lastFrozen = s;
        StepManifest m = mixer.next();
        cache.set(slot(m.step()), new Served(m, mixer.wantsStatistics(m.step()), durableAt));
        frozen++;
        frozenPublished = frozen;
        moveHistory();
    }

    /**
     * A pin or release from step {@code frozen} on changes whether the last frozen step wants statistics (its
     * successor's control is part of the rule): its cached answer follows. No other frozen step can change.
     */
    private void refreshLastFrozen() {
        long last = frozen - 1;
        Served s = cache.get(slot(last));
        if (s != null && s.step() == last && s.wantsStatistics() != mixer.wantsStatistics(last))
            cache.set(slot(last), new Served(s.manifest(), mixer.wantsStatistics(last), s.durableAt()));
    }

    /** Moves the mixer's new weight changes out of it; those at frozen steps go to the history file. */
    private void moveHistory() {
        changesAhead.addAll(mixer.drainHistory());
        while (!changesAhead.isEmpty() && changesAhead.peekFirst().step() < frozen)
            historyFile.append(changesAhead.pollFirst());
    }

    private ApiException notReady(long t, long n) {
        StatsReport[] rs = reports.get(t);
        var missing = new ArrayList<Integer>();
        for (int w = 0; w < workers; w++) if (rs == null || rs[w] == null) missing.add(w);
        return new ApiException(
                425,
                "not_ready",
                "the manifest of step " + n + " needs the statistics of step " + t
                        + ": " + (workers - missing.size()) + " of " + workers + " workers have reported (missing: "
                        + missing
                        + "); POST /v1/stats for step " + t + ", then retry (or pass wait_ms)");
    }

    // ---- statistics -----------------------------------------------------------------------------------------

    Accepted report(StatsReport r) {
        byte[] event = Json.object(
                g -> { // serialised before the lock is taken
                    g.writeStringField("type", "stats");
                    r.write(g);
                });
        synchronized (this) {
            return report(r, event);
        }
    }

    /** Validates and applies a report; writes {@code event} (its log line) when given, i.e. when not replaying. */
    private Accepted report(StatsReport r, byte[] event) {
        boolean durable = event != null;
        long t = r.step();
        Strategy strategy = mixer.strategy();
        if (r.workers() != workers || r.worker() < 0 || r.worker() >= workers)
            throw new ApiException(
                    422,
                    "unknown_worker",
                    "worker " + r.worker() + " of " + r.workers()
                            + " is unknown: this service pools reports from workers 0.." + (workers - 1) + " of "
                            + workers + " (--workers)");
        if (!strategy.usesStatistics())
            throw ApiException.conflict(
                    "not_wanted", "strategy '" + strategy.name() + "' reads no statistics; do not POST /v1/stats");
        if (t >= frozen)
            throw ApiException.conflict(
                    "not_served",
                    "the manifest of step " + t + " has not been handed out yet (next new step: " + frozen
                            + "); statistics can only describe a step that was trained");
        if (!mixer.wantsStatistics(t))
            throw ApiException.conflict(
                    "not_wanted",
                    "step " + t + " takes no statistics: "
                            + (mixer.pinned(t) || mixer.pinned(t + 1)
                                    ? "the weights are pinned there"
                                    : strategy.name() + " updates at steps with t mod " + config.updateInterval()
                                            + " = 0"));
        if (closed(t))
            throw ApiException.conflict(
                    "closed",
                    "the statistics of step " + t + " are closed: all " + workers
                            + " workers reported and the weights of step " + (t + 1) + " are final");
        StatsReport[] rs = reports.get(t);
        if (rs != null && rs[r.worker()] != null)
            throw ApiException.conflict(
                    "duplicate",
                    "worker " + r.worker() + " already reported step " + t + "; a report is accepted once");
        var next = rs == null ? new StatsReport[workers] : rs.clone();
        next[r.worker()] = r;
        int reported = (int) Arrays.stream(next).filter(x -> x != null).count();
        DomainStats pooled = null;
        if (reported == workers) {
            pooled = Pooling.pool(
                    Arrays.stream(next).map(StatsReport::toGradientStats).toList());
            try {
                mixer.check(t, pooled); // dry run: a refused update changes nothing
            } catch (UserException e) {
                throw ApiException.invalid("the pooled statistics of step " + t + " were refused by " + strategy.name()
                        + ": " + e.getMessage());
            }
        }
        long pos = durable ? log.write(event) : 0;
        reports.put(t, next);
        reportsAccepted++;
        if (pooled != null) {
            mixer.report(t, pooled);
            reports.remove(t); // closed: closed(t) answers from now on
            lastClosedStep = Math.max(lastClosedStep, t);
            moveHistory();
            // the weights of step t + 1 are final now: freeze it in the same group commit as this report, so the
            // workers' reads of step t + 1 find it frozen (one fsync per step, paid by the writers)
            if (durable && t + 1 == frozen && mixer.awaiting() < 0) writeFreeze(t + 1, true);
            else if (durable) snapshot(pos);
            notifyAll(); // readiness changes only when a step closes: a partial report wakes no long poll
        } else if (durable) snapshot(pos);
        return new Accepted(t, reported, workers, pooled != null, pos);
    }

    // ---- operator control -----------------------------------------------------------------------------------

    /**
     * Pins {@code weights} (normalised to sum 1) from {@code fromStep} on, or hands control back to the strategy
     * ({@code weights == null}); {@code fromStep < 0} means the first step whose weights can still change. Returns
     * the step.
     */
    synchronized long control(long fromStep, double[] weights) {
        return control(fromStep, weights, true);
    }

    private long control(long fromStep, double[] weights, boolean durable) {
        long open = mixer.firstOpenStep();
        long from = fromStep < 0 ? open : fromStep;
        boolean finalByReports = from >= 1 && closed(from - 1); // frozen by the report that closed from − 1
        if (from < frozen && !finalByReports)
            throw ApiException.conflict(
                    "frozen",
                    "the manifest of step " + from + " is already out (steps 0.." + (frozen - 1)
                            + " are frozen); the earliest step that can change is " + open);
        if (from < open || finalByReports)
            throw ApiException.conflict(
                    "final",
                    "the weights of step " + from + " are final: all workers reported the statistics of step "
                            + (from - 1) + "; the earliest step that can change is " + open);
        double[] w = weights == null ? null : normalised(weights);
        if (durable)
            log.write(Json.object(g -> {
                g.writeStringField("type", weights == null ? "release" : "pin");
                g.writeNumberField("from_step", from);
                if (weights != null) Json.array(g, "weights", w);
            }));
        if (w == null) mixer.release(from);
        else mixer.pin(from, w);
        refreshLastFrozen();
        // partial reports of a step that no longer wants statistics (its successor is pinned now) are refused
        // from here on as not wanted; they are dropped
        reports.keySet().removeIf(t -> !mixer.wantsStatistics(t));
        notifyAll();
        return from;
    }

    private double[] normalised(double[] w) {
        int K = config.domainCount();
        if (w.length != K)
            throw ApiException.invalid(
                    "weights has " + w.length + " entries but the dataset has " + K + " domains " + config.names());
        try {
            return Simplex.normalize(w, "weights");
        } catch (UserException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    // ---- read-only views ------------------------------------------------------------------------------------

    /**
     * Weights composing the last frozen step, and the control in force there, as of the newest event that is
     * durable: a reader never waits for an fsync and never sees what a crash could take back. Takes the lock only
     * when a newer view has become durable since the last call.
     */
    View view() {
        if (log.durable(firstPending)) drainViews();
        return durableView;
    }

    private synchronized void drainViews() {
        while (!pendingViews.isEmpty() && log.durable(pendingViews.peekFirst().getKey()))
            durableView = pendingViews.pollFirst().getValue();
        firstPending = pendingViews.isEmpty()
                ? Long.MAX_VALUE
                : pendingViews.peekFirst().getKey();
        prune();
    }

    /** Log position of the oldest pending view (Long.MAX_VALUE: none), so {@link #view()} can skip the lock. */
    private volatile long firstPending = Long.MAX_VALUE;

    /** Forgets the freeze events that are durable (a prefix: freezes are logged in step order). */
    private void prune() {
        while (!freezeAt.isEmpty() && log.durable(freezeAt.firstEntry().getValue()))
            durableThrough = freezeAt.pollFirstEntry().getKey();
    }

    /** Remembers the view after the event ending at log position {@code pos}. */
    private void snapshot(long pos) {
        pendingViews.addLast(Map.entry(pos, currentView()));
        if (pendingViews.size() == 1) firstPending = pos;
        if (pendingViews.size() > PENDING_VIEWS) drainViews(); // drops what is durable by now
    }

    private View currentView() {
        return new View(
                frozen - 1,
                lastFrozen.weights(),
                mixer.pinned(frozen - 1),
                lastClosedStep,
                reportsAccepted,
                openReports());
    }

    record View(
            long step,
            double[] weights,
            boolean pinned,
            long lastClosedStep,
            long reportsAccepted,
            Map<Long, Integer> open) {}

    private Map<Long, Integer> openReports() {
        var open = new TreeMap<Long, Integer>();
        reports.forEach((t, rs) ->
                open.put(t, (int) Arrays.stream(rs).filter(x -> x != null).count()));
        return open;
    }

    /**
     * True when all n workers reported step t (which wants statistics). Reports close in step order (the mixer takes
     * the statistics of the awaited step only) and a step's wish for statistics cannot change once its successor is
     * handed out or its own statistics are in, so these are exactly the steps up to the last closed one that want
     * statistics: no per-step record is kept.
     */
    private boolean closed(long t) {
        return t <= lastClosedStep && mixer.wantsStatistics(t);
    }

    /**
     * The weight changes of the frozen steps (a change the mixer has made final is listed once its step is frozen):
     * the length of the history file to stream ({@link #history(long)}), taken under the lock so it ends with a whole
     * entry.
     */
    synchronized long historyLength() {
        return historyFile.length();
    }

    /** The first {@code length} bytes of the history: the entries of the JSON array, comma-separated. */
    java.io.InputStream history(long length) {
        return historyFile.open(length);
    }

    /** Pins and releases at steps not yet frozen: step → weights (null = release). */
    synchronized Map<Long, double[]> scheduled() {
        return mixer.scheduled();
    }

    synchronized long frozenSteps() {
        return frozen;
    }

    /**
     * What the core holds per step, for the test that the live heap does not grow with the steps served: cached
     * manifests (≤ {@link #CACHED_MANIFESTS}), steps with open reports, freeze events not yet durable, views not
     * yet durable, weight changes at steps not yet frozen, and the history lines the mixer still holds.
     */
    record Retained(int manifests, int openSteps, int freezes, int views, int changesAhead, int mixerHistory) {
        int total() {
            return manifests + openSteps + freezes + views + changesAhead + mixerHistory;
        }
    }

    synchronized Retained retained() {
        int manifests = 0;
        for (int i = 0; i < CACHED_MANIFESTS; i++) if (cache.get(i) != null) manifests++;
        return new Retained(
                manifests,
                reports.size(),
                freezeAt.size(),
                pendingViews.size(),
                changesAhead.size(),
                mixer.history().size());
    }

    MixConfig config() {
        return config;
    }

    Strategy strategy() {
        return mixer.strategy();
    }

    int workers() {
        return workers;
    }
}
