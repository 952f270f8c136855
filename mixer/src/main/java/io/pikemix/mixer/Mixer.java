package io.pikemix.mixer;

import io.pikemix.format.Checks;
import io.pikemix.format.ShardIndex;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Holds the weights, carries and cursors of a run, applies the step rule and the operator's pins, and hands out
 * one {@link StepManifest} per step; every formula lives in {@link Strategy}, {@link Pooling}, {@link Apportion},
 * {@link Feistel} and {@link Manifests}. The local trainer, the Spark trainer and the mixer service all drive
 * this class, so they agree on every weight.
 *
 * <p><b>Step rule</b> (Algorithm 1, the statistics of step t applied from step t + 1):
 * <ul>
 *   <li>{@link #next()} hands out the manifest of step s = {@code state().step()} and moves to s + 1.</li>
 *   <li>Step t <em>wants statistics</em> ({@link #wantsStatistics}) when the strategy reads them, t mod T = 0,
 *       and neither t nor t + 1 is pinned. Its workers' statistics go to {@link #report(long, List)}: pooled by
 *       {@link Pooling#pool}, then the strategy updates the weights in force, which compose every step handed
 *       out after the report. Reports come in step order.</li>
 *   <li>Once step t's reports are in, the weights of step t + 1 are final: no pin can change them
 *       ({@link #firstOpenStep()}). {@link #ready()} is false while a handed-out step that wants statistics
 *       has not been reported; the service answers "not ready" until then. The local trainer (and the Spark
 *       trainer with A = 1) report step t before asking for step t + 1; the Spark trainer with A &gt; 1 plans
 *       a round ahead and reports at the averaging point, so its updates compose the next round.</li>
 *   <li>{@link #pin(long, double[])}: from step {@code from} on the weights are the operator's (and no step wants
 *       statistics there) until {@link #release(long)} hands control back to the strategy, which continues from
 *       the pinned weights. A pin or release at step s takes effect when s is handed out and enters the
 *       history then; until then a later call may replace it.</li>
 * </ul>
 *
 * <p>{@link #state()} may be saved whenever {@link #ready()}; {@code new Mixer(config, strategy, saved)} continues
 * with identical manifests (pins are not part of the state: the service keeps them in its event log). Not
 * thread-safe.
 */
public final class Mixer {
    private static final double[] RELEASE = new double[0];

    private final MixConfig config;
    private final Strategy strategy;
    private final ShardIndex[] shards;
    private final WeightChange initial;
    private MixerState base; // composes step base.step(), before its pin
    private MixerState state; // base with the pin at base.step() applied
    private final TreeMap<Long, double[]> control = new TreeMap<>(); // from step → pinned weights, or RELEASE
    private final TreeSet<Long> due = new TreeSet<>(); // handed out, t mod T = 0, t not pinned, unreported
    private long lastReported = -1;
    private final List<WeightChange> history = new ArrayList<>();

    /** A fresh run: step 0, the strategy's initial weights. */
    public Mixer(MixConfig config, Strategy strategy) {
        this(config, strategy, MixerState.initial(config.seed(), strategy.initialWeights()));
    }

    /** Resumes from a saved state (same config and strategy as the run that saved it). */
    public Mixer(MixConfig config, Strategy strategy, MixerState state) {
        this.config = config;
        this.strategy = strategy;
        int K = config.domainCount();
        Checks.require(
                state.weights().length == K,
                "saved state has %d domains but the config has %d (%s)",
                state.weights().length,
                K,
                String.join(", ", config.names()));
        Checks.require(
                state.seed() == config.seed(),
                "saved state has seed %d but the config has seed %d",
                state.seed(),
                config.seed());
        Checks.require(
                strategy.initialWeights().length == K,
                "strategy '%s' covers %d domains but the config has %d",
                strategy.name(),
                strategy.initialWeights().length,
                K);
        this.shards = new ShardIndex[K];
        for (int k = 0; k < K; k++)
            shards[k] = new ShardIndex(config.domains().get(k).shardRowCounts());
        this.base = state;
        this.state = state;
        this.initial = new WeightChange(state.step(), strategy.name(), "initial", state.weights(), null);
        history.add(initial);
    }

    // ---- manifests ------------------------------------------------------------------------------------------

    /** The manifest of the current step; advances to the next step (a pin or release there enters the history). */
    public StepManifest next() {
        long s = state.step();
        double[] c = control.get(s);
        if (c != null)
            history.add(new WeightChange(s, strategy.name(), c == RELEASE ? "release" : "pin", state.weights(), null));
        Planned planned = plan(state);
        if (strategy.usesStatistics() && s % config.updateInterval() == 0 && !pinned(s)) due.add(s);
        due.headSet(s - 1).removeIf(t -> !wantsStatistics(t)); // before s − 1 no pin can change that any more
        base = planned.next();
        decide();
        return planned.manifest();
    }

    /**
     * The manifest of {@code at.step()} and the state after it, without changing this mixer: a pure function of
     * the config, the strategy and {@code at}.
     */
    public Planned plan(MixerState at) {
        double[] composition = strategy.composition(at.step(), at.weights());
        return Manifests.plan(config, shards, composition, at);
    }

    /**
     * True when step t wants statistics (Algorithms 1 and 3 with the operator's control): the strategy reads them,
     * t mod T = 0, and neither t nor t + 1 is pinned.
     */
    public boolean wantsStatistics(long step) {
        return strategy.usesStatistics() && step % config.updateInterval() == 0 && !pinned(step) && !pinned(step + 1);
    }

    /** The oldest handed-out step whose statistics are wanted but not yet reported, or −1 when there is none. */
    public long awaiting() {
        for (long t : due) if (wantsStatistics(t)) return t;
        return -1;
    }

    /** True when no handed-out step waits for its statistics: the weights of {@code state().step()} are final. */
    public boolean ready() {
        return awaiting() < 0;
    }

    // ---- statistics -----------------------------------------------------------------------------------------

    /**
     * Applies the statistics of step {@code step} from its workers (one or several): pooled by {@link Pooling#pool},
     * then the strategy's update of the weights in force. The new weights compose every step from
     * {@code state().step()} on. Refused (nothing changes) unless {@code step} is {@link #awaiting()}, or when the
     * strategy refuses the pooled statistics.
     */
    public WeightChange report(long step, List<GradientStats> workers) {
        return report(step, Pooling.pool(workers));
    }

    /** {@link #report(long, List)} with statistics already pooled. */
    public WeightChange report(long step, DomainStats stats) {
        WeightChange change = check(step, stats);
        base = base.withWeights(change.weights());
        decide();
        due.remove(step);
        lastReported = step;
        history.add(change);
        return change;
    }

    /** Reports the statistics of the step {@link #awaiting()} them (the one just handed out, for a trainer). */
    public WeightChange report(DomainStats stats) {
        long t = awaiting();
        Checks.require(
                t >= 0,
                "no step awaits statistics (%s wants them at steps with t mod %d = 0 that are not pinned)",
                strategy.name(),
                config.updateInterval());
        return report(t, stats);
    }

    /**
     * Gives up the statistics of step {@code step}, the step {@link #awaiting()} them, because its training step was
     * rejected (a non-finite loss or gradient, training/README.md): the weights in force stay, as if the step had
     * not wanted statistics, and the next statistics step is awaited as usual.
     */
    public void forgo(long step) {
        Checks.require(step == awaiting(), "step %d does not await statistics (awaiting %d)", step, awaiting());
        due.remove(step);
        lastReported = step;
    }

    /** The change {@link #report(long, DomainStats)} would make, without making it; throws if it would be refused. */
    public WeightChange check(long step, DomainStats stats) {
        long t = awaiting();
        Checks.require(
                due.contains(step) && wantsStatistics(step),
                "step %d takes no statistics now (%s)",
                step,
                t < 0 ? "no step awaits them" : "step " + t + " awaits them");
        Checks.require(step == t, "the statistics of step %d must be reported before those of step %d", t, step);
        double[] updated = strategy.update(base.weights(), stats, base.epochsConsumed(config.sequences()));
        return new WeightChange(base.step(), strategy.name(), "statistics", updated, stats);
    }

    // ---- operator control -----------------------------------------------------------------------------------

    /**
     * The first step whose weights may still change: the next step to hand out, or the one after it when the
     * statistics of the step just handed out are already in (its successor's weights are then final).
     */
    public long firstOpenStep() {
        long s = state.step();
        return lastReported == s - 1 ? s + 1 : s;
    }

    /** Pins {@code weights} (on the simplex) from {@code fromStep} on, until a {@link #release}. */
    public WeightChange pin(long fromStep, double[] weights) {
        Checks.require(
                weights.length == config.domainCount(),
                "weights have %d entries but there are %d domains (%s)",
                weights.length,
                config.domainCount(),
                String.join(", ", config.names()));
        Simplex.require(weights);
        requireOpen(fromStep);
        control.put(fromStep, weights.clone());
        decide();
        return new WeightChange(fromStep, strategy.name(), "pin", weights, null);
    }

    /** An operator's weights, in force from {@link #firstOpenStep()} on (until a release). */
    public WeightChange pin(double[] weights) {
        return pin(firstOpenStep(), weights);
    }

    /** Hands control back to the strategy from {@code fromStep} on; it continues from the weights in force there. */
    public void release(long fromStep) {
        requireOpen(fromStep);
        control.put(fromStep, RELEASE);
        decide();
    }

    /** True when the weights of {@code step} are pinned (the latest pin or release at or before it is a pin). */
    public boolean pinned(long step) {
        Map.Entry<Long, double[]> e = control.floorEntry(step);
        return e != null && e.getValue() != RELEASE;
    }

    /** Pins and releases from {@code state().step()} on (not yet handed out): step → weights, null = release. */
    public Map<Long, double[]> scheduled() {
        var out = new LinkedHashMap<Long, double[]>();
        control.tailMap(state.step(), true).forEach((s, w) -> out.put(s, w == RELEASE ? null : w.clone()));
        return out;
    }

    private void requireOpen(long fromStep) {
        long open = firstOpenStep();
        Checks.require(
                fromStep >= open,
                "the weights of step %d are final (%s); the earliest step that can change is %d",
                fromStep,
                fromStep < state.step() ? "its manifest is out" : "the statistics of step " + lastReported + " are in",
                open);
    }

    /** The state composing base.step(): base, or the weights pinned at that very step. */
    private void decide() {
        double[] c = control.get(base.step());
        state = c == null || c == RELEASE ? base : base.withWeights(c);
    }

    // ---- views ----------------------------------------------------------------------------------------------

    /** The first line of the weight history. */
    public WeightChange initialChange() {
        return initial;
    }

    /**
     * Every weight change since this mixer was made (or since the last {@link #drainHistory()}): the initial weights,
     * statistics updates, pins and releases.
     */
    public List<WeightChange> history() {
        return List.copyOf(history);
    }

    /**
     * Removes and returns the lines {@link #history()} holds, in order. For a long-running owner that keeps the
     * history elsewhere (the mixer service writes it to a file), so that this mixer's memory does not grow with the
     * steps handed out.
     */
    public List<WeightChange> drainHistory() {
        List<WeightChange> out = List.copyOf(history);
        history.clear();
        return out;
    }

    /** The state composing the next step (save it only when {@link #ready()}). */
    public MixerState state() {
        return state;
    }

    public double[] weights() {
        return state.weights();
    }

    public MixConfig config() {
        return config;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** A step's manifest and the mixer state after it. */
    public record Planned(StepManifest manifest, MixerState next) {}
}
