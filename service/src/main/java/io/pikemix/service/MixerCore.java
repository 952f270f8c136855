package io.pikemix.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.MixerState;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.WeightChange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The service's state machine: frozen per-step {@link MixerState}s, statistics reports, operator pins, and the
 * weight history. Every mutation is validated first, then written to the {@link EventLog} (fsynced), then applied,
 * so a refused request changes nothing and a replay of the log rebuilds the same state. Thread-safe (one lock).
 *
 * <p><b>Step rule.</b> The weights composing step t + 1 are the weights of step t, updated by the strategy with
 * the pooled statistics of step t when step t <em>wants statistics</em> (the strategy reads them, t mod T = 0,
 * and neither step t nor t + 1 is pinned), then replaced by an operator pin scheduled at t + 1, if any. The
 * manifest of step t + 1 is therefore <em>ready</em> once, for every step s ≤ t that wants statistics, all n
 * workers have reported; until then it is answered with 425 (not ready). The first time a manifest beyond the
 * frozen prefix is served, the prefix is extended to it (and on through up to {@link #FREEZE_AHEAD} further steps
 * that are ready) and a {@code freeze} event is logged: frozen steps never change, and pins may only target steps
 * after the prefix. A report for step t is accepted only if the manifest
 * of step t has been served, step t wants statistics, the worker is one of the n and has not reported t before;
 * the last of the n reports closes the step.
 */
final class MixerCore {
    /** How far past the frozen prefix one manifest request may extend it. */
    static final int MAX_AHEAD = 4096;
    /** A served manifest also freezes up to this many following steps that are ready (one log record for all). */
    static final int FREEZE_AHEAD = 32;
    private static final double[] RELEASE = new double[0];

    record Served(StepManifest manifest, boolean wantsStatistics) {}

    /** Answer to an accepted report. */
    record Accepted(long step, int reported, int workers, boolean closed) {}

    private final MixConfig config;
    private final Strategy strategy;
    private final Mixer mixer;
    private final int workers;
    private final EventLog log;

    private final ArrayList<MixerState> planned = new ArrayList<>();            // planned.get(t) composes step t
    private final TreeMap<Long, double[]> control = new TreeMap<>();            // from step → pin weights or RELEASE
    private final Map<Long, StatsReport[]> reports = new HashMap<>();           // open and closed steps
    private final Map<Long, DomainStats> pooled = new HashMap<>();              // closed steps
    private final List<WeightChange> history = new ArrayList<>();
    private final LinkedHashMap<Long, StepManifest> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Long, StepManifest> e) { return size() > 256; }
    };
    private long reportsAccepted;
    private long lastClosedStep = -1;

    MixerCore(MixConfig config, Strategy strategy, int workers, EventLog log) {
        this.config = config;
        this.strategy = strategy;
        this.mixer = new Mixer(config, strategy);
        this.workers = workers;
        this.log = log;
        planned.add(mixer.state());
        history.add(mixer.initialChange());
        synchronized (this) {
            int line = 0;
            for (JsonNode e : log.events()) {
                line++;
                try {
                    replay(e);
                } catch (ApiException | UserException ex) {
                    throw new UserException(EventLog.FILE + " line " + line + " does not replay on this configuration ("
                            + ex.getMessage() + "); was the state directory made with other options?");
                }
            }
        }
    }

    private void replay(JsonNode e) {
        String type = e.path("type").asText();
        switch (type) {
            case "stats" -> report(StatsReport.parse(withoutType(e), config.domainCount()), false);
            case "pin" -> control(e.get("from_step").asLong(), Json.doubles(e, "weights", config.domainCount(), true), false);
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

    /** The manifest of {@code step}, waiting up to {@code waitMillis} for it to become ready. */
    synchronized Served manifest(long step, long waitMillis) throws InterruptedException {
        if (step < 0) throw ApiException.invalid("step must be >= 0, got " + step);
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        while (true) {
            try {
                if (step >= planned.size()) freeze(step, true);
                StepManifest m = cache.get(step);
                if (m == null) {
                    m = mixer.plan(planned.get((int) step)).manifest();
                    cache.put(step, m);
                }
                return new Served(m, wanted(step));
            } catch (ApiException e) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (e.status != 425 || left <= 0) throw e;
                wait(left);
            }
        }
    }

    /** Extends the frozen prefix through {@code step} (all or nothing), logging a freeze event when durable. */
    private void freeze(long step, boolean durable) {
        if (step < planned.size()) return;
        if (step - planned.size() >= MAX_AHEAD)
            throw ApiException.conflict("too_far_ahead", "step " + step + " is more than " + MAX_AHEAD
                    + " steps past the last served step " + (planned.size() - 1) + "; ask for the steps in order");
        var added = new ArrayList<MixerState>();
        var changes = new ArrayList<WeightChange>();
        var manifests = new ArrayList<StepManifest>();
        MixerState cur = planned.get(planned.size() - 1);
        long until = durable ? step + FREEZE_AHEAD : step;
        for (long t = planned.size() - 1; t < until; t++) {
            Mixer.Planned p = mixer.plan(cur);
            var stepChanges = new ArrayList<WeightChange>();
            try {
                cur = decide(t, p.next(), stepChanges);
            } catch (ApiException e) {
                if (t < step || e.status != 425) throw e;
                break;                                  // freezing ahead stops at the first step that is not ready
            }
            manifests.add(p.manifest());
            changes.addAll(stepChanges);
            added.add(cur);
        }
        long through = planned.size() - 1 + added.size();
        if (durable) log.write(Json.object(g -> {
            g.writeStringField("type", "freeze");
            g.writeNumberField("through_step", through);
        }));
        for (StepManifest m : manifests) cache.put(m.step(), m);
        planned.addAll(added);
        history.addAll(changes);
    }

    /** The state composing step t + 1, from the state after planning step t (see the class comment). */
    private MixerState decide(long t, MixerState next, List<WeightChange> changes) {
        long n = t + 1;
        if (wanted(t)) {
            DomainStats s = pooled.get(t);
            if (s == null) throw notReady(t, n);
            double[] w = strategy.update(next.weights(), s);
            next = next.withWeights(w);
            changes.add(new WeightChange(n, strategy.name(), "statistics", w, s));
        }
        double[] c = control.get(n);
        if (c == RELEASE) {
            changes.add(new WeightChange(n, strategy.name(), "release", next.weights(), null));
        } else if (c != null) {
            next = next.withWeights(c);
            changes.add(new WeightChange(n, strategy.name(), "pin", c, null));
        }
        return next;
    }

    private ApiException notReady(long t, long n) {
        StatsReport[] rs = reports.get(t);
        var missing = new ArrayList<Integer>();
        for (int w = 0; w < workers; w++) if (rs == null || rs[w] == null) missing.add(w);
        return new ApiException(425, "not_ready", "the manifest of step " + n + " needs the statistics of step " + t
                + ": " + (workers - missing.size()) + " of " + workers + " workers have reported (missing: " + missing
                + "); POST /v1/stats for step " + t + ", then retry (or pass wait_ms)");
    }

    /** Step t wants statistics: the strategy reads them, t mod T = 0, and neither t nor t + 1 is pinned. */
    private boolean wanted(long t) {
        return mixer.wantsStatistics(t) && !pinned(t) && !pinned(t + 1);
    }

    private boolean pinned(long step) {
        Map.Entry<Long, double[]> e = control.floorEntry(step);
        return e != null && e.getValue() != RELEASE;
    }

    // ---- statistics -----------------------------------------------------------------------------------------

    synchronized Accepted report(StatsReport r) { return report(r, true); }

    private Accepted report(StatsReport r, boolean durable) {
        long t = r.step();
        if (r.workers() != workers || r.worker() < 0 || r.worker() >= workers)
            throw new ApiException(422, "unknown_worker", "worker " + r.worker() + " of " + r.workers()
                    + " is unknown: this service pools reports from workers 0.." + (workers - 1) + " of " + workers + " (--workers)");
        if (!strategy.usesStatistics())
            throw ApiException.conflict("not_wanted", "strategy '" + strategy.name() + "' reads no statistics; do not POST /v1/stats");
        if (t >= planned.size())
            throw ApiException.conflict("not_served", "the manifest of step " + t + " has not been handed out yet (next new step: "
                    + planned.size() + "); statistics can only describe a step that was trained");
        if (!wanted(t))
            throw ApiException.conflict("not_wanted", "step " + t + " takes no statistics: " + (pinned(t) || pinned(t + 1)
                    ? "the weights are pinned there" : strategy.name() + " updates at steps with t mod " + config.updateInterval() + " = 0"));
        if (pooled.containsKey(t))
            throw ApiException.conflict("closed", "the statistics of step " + t + " are closed: all " + workers
                    + " workers reported and the weights of step " + (t + 1) + " are final");
        StatsReport[] rs = reports.get(t);
        if (rs != null && rs[r.worker()] != null)
            throw ApiException.conflict("duplicate", "worker " + r.worker() + " already reported step " + t + "; a report is accepted once");
        var next = rs == null ? new StatsReport[workers] : rs.clone();
        next[r.worker()] = r;
        int reported = (int) Arrays.stream(next).filter(x -> x != null).count();
        DomainStats closed = null;
        if (reported == workers) {
            closed = Pooling.pool(next);
            try {
                strategy.update(planned.get((int) t).weights(), closed);    // dry run: a refused update changes nothing
            } catch (UserException e) {
                throw ApiException.invalid("the pooled statistics of step " + t + " were refused by " + strategy.name() + ": " + e.getMessage());
            }
        }
        if (durable) log.write(Json.object(g -> {
            g.writeStringField("type", "stats");
            r.write(g);
        }));
        reports.put(t, next);
        reportsAccepted++;
        if (closed != null) {
            pooled.put(t, closed);
            lastClosedStep = Math.max(lastClosedStep, t);
        }
        notifyAll();
        return new Accepted(t, reported, workers, closed != null);
    }

    // ---- operator control -----------------------------------------------------------------------------------

    /**
     * Pins {@code weights} (normalised to sum 1) from {@code fromStep} on, or hands control back to the strategy
     * ({@code weights == null}); {@code fromStep < 0} means the first step not yet frozen. Returns the step.
     */
    synchronized long control(long fromStep, double[] weights) { return control(fromStep, weights, true); }

    private long control(long fromStep, double[] weights, boolean durable) {
        long from = fromStep < 0 ? planned.size() : fromStep;
        if (from < planned.size())
            throw ApiException.conflict("frozen", "the manifest of step " + from + " is already out (steps 0.." + (planned.size() - 1)
                    + " are frozen); the earliest step that can change is " + planned.size());
        double[] w = weights == null ? RELEASE : normalised(weights);
        if (durable) log.write(Json.object(g -> {
            g.writeStringField("type", weights == null ? "release" : "pin");
            g.writeNumberField("from_step", from);
            if (weights != null) Json.array(g, "weights", w);
        }));
        control.put(from, w);
        notifyAll();
        return from;
    }

    private double[] normalised(double[] w) {
        int K = config.domainCount();
        if (w.length != K) throw ApiException.invalid("weights has " + w.length + " entries but the dataset has " + K + " domains " + config.names());
        double sum = 0;
        for (int k = 0; k < K; k++) {
            if (!(Double.isFinite(w[k]) && w[k] >= 0)) throw ApiException.invalid("weights[" + k + "] = " + w[k] + " must be finite and >= 0");
            sum += w[k];
        }
        if (!(sum > 0)) throw ApiException.invalid("weights sum to 0; at least one domain needs a positive weight");
        var out = new double[K];
        for (int k = 0; k < K; k++) out[k] = w[k] / sum;
        return out;
    }

    // ---- read-only views ------------------------------------------------------------------------------------

    /** Weights composing the last frozen step, and the control in force there. */
    synchronized View view() {
        long last = planned.size() - 1;
        return new View(last, planned.get((int) last).weights(), pinned(last), lastClosedStep, reportsAccepted, openReports());
    }

    record View(long step, double[] weights, boolean pinned, long lastClosedStep, long reportsAccepted, Map<Long, Integer> open) {}

    private Map<Long, Integer> openReports() {
        var open = new TreeMap<Long, Integer>();
        reports.forEach((t, rs) -> {
            if (!pooled.containsKey(t)) open.put(t, (int) Arrays.stream(rs).filter(x -> x != null).count());
        });
        return open;
    }

    synchronized List<WeightChange> history() { return List.copyOf(history); }

    /** Pins and releases at steps not yet frozen: step → weights (null = release). */
    synchronized Map<Long, double[]> scheduled() {
        var out = new LinkedHashMap<Long, double[]>();
        control.tailMap((long) planned.size(), true).forEach((s, w) -> out.put(s, w == RELEASE ? null : w.clone()));
        return out;
    }

    synchronized MixerState stateAt(long step) { return planned.get((int) step); }

    synchronized long frozenSteps() { return planned.size(); }

    MixConfig config() { return config; }

    Strategy strategy() { return strategy; }

    int workers() { return workers; }
}
