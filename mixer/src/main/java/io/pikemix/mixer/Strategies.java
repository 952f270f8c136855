package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.List;

/**
 * Factories for every {@link Strategy}: the baselines of §2.2 and §4.1 and the PiKE family (Algorithms 1–3 of
 * arXiv:2502.06244). Each strategy is a small immutable object around the pure functions of
 * {@link Baselines}, {@link PikeUpdate} and {@link ConceptualPike}.
 */
public final class Strategies {
    private Strategies() {}

    /** Names accepted by {@link #byName}. */
    public static final List<String> NAMES = List.of(
            "mix",
            "static",
            "token",
            "temperature",
            "round-robin",
            "random",
            "pike",
            "fair-pike",
            "conceptual-pike",
            RobustPikeParams.NAME);

    /** mT5's temperature exponent α (p_k ∝ n_k^0.3). */
    public static final double DEFAULT_ALPHA = 0.3;

    /** Mix: w_k = 1/K at every step. */
    public static Strategy mix(int domains) {
        return new Static("mix", Baselines.uniform(domains), null);
    }

    /** Static prior weights, e.g. GLaM's or DoReMi's column of Table 4 (normalised to sum 1). */
    public static Strategy fixed(double[] prior) {
        return new Static("static", Simplex.normalize(prior, "prior weights"), null);
    }

    /** Token-proportional: w_k = n_k / Σ n_j. */
    public static Strategy tokenProportional(long[] tokens) {
        return new Static("token", Baselines.proportional(tokens), null);
    }

    /** Temperature sampling: w_k ∝ n_k^α (α = {@link #DEFAULT_ALPHA} in mT5). */
    public static Strategy temperature(long[] tokens, double alpha) {
        return new Static("temperature", Baselines.temperature(tokens, alpha), null);
    }

    /** Round-Robin: the whole batch of step t from domain t mod K. */
    public static Strategy roundRobin(int domains) {
        return new Static(
                "round-robin",
                Baselines.uniform(domains),
                (step, w) -> Baselines.oneHot(Baselines.roundRobinTask(step, w.length), w.length));
    }

    /** Random: the whole batch of step t from one domain drawn with probabilities p (seeded by (seed, step)). */
    public static Strategy random(double[] p, long seed) {
        // the task is drawn with the weights in force (= p unless an operator pinned others)
        return new Static(
                "random",
                Simplex.normalize(p, "prior weights"),
                (step, w) -> Baselines.oneHot(Baselines.randomTask(seed, step, w), w.length));
    }

    /** PiKE, Algorithm 1, starting from {@code initial} (uniform or a prior). */
    public static Strategy pike(double[] initial, PikeParams params) {
        return new Adaptive("pike", Simplex.normalize(initial, "prior weights"), (w, s, epochs) -> {
            s.requireValid(w.length, false);
            return PikeUpdate.pikeStep(
                    w,
                    s.gradNormSq(),
                    s.gradVar(),
                    params.zeta1(),
                    params.zeta2(),
                    params.batchSize(),
                    params.minWeight());
        });
    }

    /** Fair-PiKE, Algorithm 3 (τ = {@code params.tau()}), starting from {@code initial}. */
    public static Strategy fairPike(double[] initial, PikeParams params) {
        return new Adaptive("fair-pike", Simplex.normalize(initial, "prior weights"), (w, s, epochs) -> {
            s.requireValid(w.length, true);
            return PikeUpdate.fairStep(
                    w,
                    s.gradNormSq(),
                    s.gradVar(),
                    s.loss(),
                    params.zeta1(),
                    params.zeta2(),
                    params.batchSize(),
                    params.tau(),
                    params.minWeight());
        });
    }

    /** Conceptual PiKE, Algorithm 2 (eqs. (9)–(10)), starting from {@code initial}. */
    public static Strategy conceptualPike(double[] initial, ConceptualParams params) {
        return new Adaptive("conceptual-pike", Simplex.normalize(initial, "prior weights"), (w, s, epochs) -> {
            s.requireValid(w.length, false);
            Simplex.require(w);
            return ConceptualPike.step(w, s.gradNormSq(), s.gradVar(), params);
        });
    }

    /**
     * The run's strategy, built from the dataset and the options: the one factory behind {@code pike train},
     * {@code pike weights} and {@code pike mixer serve}. The dataset gives the number of domains and their
     * training-split token counts ({@code tokens}; may be null unless the strategy is "token" or "temperature");
     * the mix gives b = {@code mix.batchSize()} (PiKE's ζ2/(2b), Conceptual PiKE's b) and the seed of Random's draws.
     * A new strategy registers in {@link #NAMES} and {@link #byName}; this factory then builds it too.
     */
    public static Strategy forDataset(MixConfig mix, long[] tokens, StrategyOptions options) {
        return forDataset(mix.domainCount(), tokens, mix.batchSize(), mix.seed(), options);
    }

    /** {@link #forDataset(MixConfig, long[], StrategyOptions)} where there is no mix, e.g. one offline update. */
    public static Strategy forDataset(int domains, long[] tokens, int batchSize, long seed, StrategyOptions options) {
        return byName(
                options.name(),
                domains,
                options.prior(),
                tokens,
                options.alpha(),
                options.pike(batchSize),
                options.conceptual(batchSize),
                seed);
    }

    /** Robust-PiKE ({@link RobustPike}, mixer/ROBUST_PIKE.md), starting from {@code initial} and pulled towards it. */
    public static Strategy robustPike(double[] initial, RobustPikeParams params) {
        double[] w = Simplex.normalize(initial, "prior weights");
        return robustPike(w, w, params);
    }

    /**
     * Robust-PiKE as {@link #byName} builds it: the anchor is temperature sampling over {@code tokens} (α), token-proportional
     * (w ∝ {@code tokens}) or the start (uniform / prior) per {@link RobustPikeParams#anchor}; it starts from the prior when one is given, else
     * from the anchor.
     */
    static Strategy robustPike(RobustPikeParams params, double[] prior, double[] start, long[] tokens, double alpha) {
        double[] anchor;
        if (params.tokenAnchor()) {
            Checks.require(
                    tokens != null,
                    "robust-pike's %s anchor needs the domains' token counts "
                            + "(pike weights: --tokens n1,..,nK), or use --robust-anchor %s",
                    params.anchor(),
                    RobustPikeParams.ANCHOR_INITIAL);
            anchor = params.temperatureAnchor() ? Baselines.temperature(tokens, alpha) : Baselines.proportional(tokens);
        } else {
            anchor = Simplex.normalize(start, "prior weights");
        }
        double[] initial = prior != null ? Simplex.normalize(prior, "prior weights") : anchor;
        return robustPike(initial, anchor, params);
    }

    /**
     * Robust-PiKE starting from {@code initial} (the anchor, or a prior) and pulled towards {@code anchor}; it reads the
     * PiKE statistics plus, through {@link Mixer#report}, the epochs each domain has consumed. Called without epochs
     * (the two-argument {@link Strategy#update}, e.g. {@code pike weights}) it treats every domain as unrepeated.
     */
    private static Strategy robustPike(double[] initial, double[] anchor, RobustPikeParams params) {
        return new Adaptive(RobustPikeParams.NAME, initial, (w, s, epochs) -> {
            Checks.require(
                    s.size() == w.length,
                    "weights have %d entries but the statistics cover %d domains",
                    w.length,
                    s.size());
            return RobustPike.step(w, s.gradNormSq(), s.gradVar(), epochs, anchor, params);
        });
    }

    /**
     * A strategy by its command-line name ({@code robust-pike:key=value,...} carries robust-PiKE's knobs). {@code prior} (null = uniform) is the initial weights of the PiKE
     * family, the fixed weights of "static" and the probabilities of "random"; {@code tokens} feeds "token"
     * and "temperature".
     */
    public static Strategy byName(
            String name,
            int domains,
            double[] prior,
            long[] tokens,
            double alpha,
            PikeParams pike,
            ConceptualParams conceptual,
            long seed) {
        double[] start = prior == null ? Baselines.uniform(domains) : prior;
        Checks.require(
                start.length == domains,
                "prior weights have %d entries but there are %d domains",
                start.length,
                domains);
        Checks.require(
                tokens == null || tokens.length == domains,
                "token counts have %d entries but there are %d domains",
                tokens == null ? 0 : tokens.length,
                domains);
        if (RobustPikeParams.isSpec(name)) return robustPike(RobustPikeParams.parse(name), prior, start, tokens, alpha);
        return switch (name) {
            case "mix" -> mix(domains);
            case "static" -> fixed(start);
            case "token" -> tokenProportional(requireTokens(tokens, name));
            case "temperature" -> temperature(requireTokens(tokens, name), alpha);
            case "round-robin" -> roundRobin(domains);
            case "random" -> random(start, seed);
            case "pike" -> pike(start, pike);
            case "fair-pike" -> fairPike(start, pike);
            case "conceptual-pike" -> conceptualPike(start, conceptual);
            default ->
                throw new io.pikemix.format.UserException(
                        "unknown strategy '" + name + "'; expected one of " + String.join(", ", NAMES));
        };
    }

    private static long[] requireTokens(long[] tokens, String name) {
        Checks.require(tokens != null, "strategy '%s' needs per-domain token counts", name);
        return tokens;
    }

    /**
     * A baseline: fixed weights, statistics ignored; {@code composition} (null = the weights themselves) puts a step's
     * batch on one domain for Round-Robin and Random.
     */
    private record Static(String name, double[] weights, Composition composition) implements Strategy {
        @Override
        public double[] initialWeights() {
            return weights.clone();
        }

        @Override
        public double[] update(double[] current, DomainStats stats) {
            return current;
        }

        @Override
        public double[] composition(long step, double[] inForce) {
            return composition == null ? inForce : composition.of(step, inForce);
        }
    }

    /** The weights composing a step's batch from the weights in force. */
    private interface Composition {
        double[] of(long step, double[] weights);
    }

    /** A member of the PiKE family: {@code rule} maps the weights in force and the statistics to new weights. */
    private record Adaptive(String name, double[] initial, Rule rule) implements Strategy {
        @Override
        public double[] initialWeights() {
            return initial.clone();
        }

        @Override
        public boolean usesStatistics() {
            return true;
        }

        @Override
        public double[] update(double[] w, DomainStats s) {
            return rule.apply(w, s, null);
        }

        @Override
        public double[] update(double[] w, DomainStats s, double[] epochsConsumed) {
            return rule.apply(w, s, epochsConsumed);
        }
    }

    /** One update: weights in force, statistics and the epochs consumed per domain (null = unknown) to new weights. */
    private interface Rule {
        double[] apply(double[] weights, DomainStats stats, double[] epochsConsumed);
    }
}
