package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Holds the weights, carries and cursors of a run and hands out one {@link StepManifest} per step; every
 * formula lives in {@link Strategy}, {@link Apportion}, {@link Feistel} and {@link Manifests}.
 *
 * <p>Protocol (Algorithm 1 with the statistics of step t applied from step t + 1): the trainer calls
 * {@link #next()} for each step; when {@link #wantsStatistics(long)} is true for a step it has trained, it
 * estimates the per-domain statistics on that step's micro-batches ({@link GradientStatsAccumulator}) and
 * passes them to {@link #report}, which updates the weights used by every later manifest. {@link #state()}
 * may be saved at any point; {@code new Mixer(config, strategy, saved)} continues with identical manifests.
 * Not thread-safe.
 */
public final class Mixer {
    private final MixConfig config;
    private final Strategy strategy;
    private final ShardIndex[] shards;
    private MixerState state;

    /** A fresh run: step 0, the strategy's initial weights. */
    public Mixer(MixConfig config, Strategy strategy) {
        this(config, strategy, MixerState.initial(config.seed(), strategy.initialWeights()));
    }

    /** Resumes from a saved state (same config and strategy as the run that saved it). */
    public Mixer(MixConfig config, Strategy strategy, MixerState state) {
        this.config = config;
        this.strategy = strategy;
        int K = config.domainCount();
        Checks.require(state.weights().length == K, "saved state has %d domains but the config has %d (%s)",
                state.weights().length, K, String.join(", ", config.names()));
        Checks.require(state.seed() == config.seed(), "saved state has seed %d but the config has seed %d",
                state.seed(), config.seed());
        Checks.require(strategy.initialWeights().length == K, "strategy '%s' covers %d domains but the config has %d",
                strategy.name(), strategy.initialWeights().length, K);
        this.shards = new ShardIndex[K];
        for (int k = 0; k < K; k++) shards[k] = new ShardIndex(config.domains().get(k));
        this.state = state;
    }

    /** The manifest of the current step; advances to the next step. */
    public StepManifest next() {
        Planned planned = plan(state);
        state = planned.next();
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

    /** True when Algorithm 1/3 wants statistics estimated at this step (t mod T = 0) and the strategy reads them. */
    public boolean wantsStatistics(long step) {
        return strategy.usesStatistics() && step % config.updateInterval() == 0;
    }

    /** Applies a statistics report; the new weights compose every step from {@link #state()}{@code .step()} on. */
    public WeightChange report(DomainStats stats) {
        double[] updated = strategy.update(state.weights(), stats, state.epochsConsumed(config.sequences()));
        state = state.withWeights(updated);
        return new WeightChange(state.step(), strategy.name(), "statistics", updated, stats);
    }

    /** An operator's weights, in force from the current step on (until the next report). */
    public WeightChange pin(double[] weights) {
        PikeUpdate.requireSimplex(weights);
        state = state.withWeights(weights);
        return new WeightChange(state.step(), strategy.name(), "pin", weights, null);
    }

    /** The first line of the weight history. */
    public WeightChange initialChange() {
        return new WeightChange(state.step(), strategy.name(), "initial", state.weights(), null);
    }

    public MixerState state() { return state; }

    public double[] weights() { return state.weights(); }

    public MixConfig config() { return config; }

    public Strategy strategy() { return strategy; }

    /** A step's manifest and the mixer state after it. */
    public record Planned(StepManifest manifest, MixerState next) {}
}
