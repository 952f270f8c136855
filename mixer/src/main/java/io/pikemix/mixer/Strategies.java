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
        return new Fixed("mix", Baselines.uniform(domains));
    }

    /** Static prior weights, e.g. GLaM's or DoReMi's column of Table 4 (normalised to sum 1). */
    public static Strategy fixed(double[] prior) {
        return new Fixed("static", Simplex.normalize(prior, "prior weights"));
    }

    /** Token-proportional: w_k = n_k / Σ n_j. */
    public static Strategy tokenProportional(long[] tokens) {
        return new Fixed("token", Baselines.proportional(tokens));
    }

    /** Temperature sampling: w_k ∝ n_k^α (α = {@link #DEFAULT_ALPHA} in mT5). */
    public static Strategy temperature(long[] tokens, double alpha) {
        return new Fixed("temperature", Baselines.temperature(tokens, alpha));
    }

    /** Round-Robin: the whole batch of step t from domain t mod K. */
    public static Strategy roundRobin(int domains) {
        return new RoundRobin(Baselines.uniform(domains));
    }

    /** Random: the whole batch of step t from one domain drawn with probabilities p (seeded by (seed, step)). */
    public static Strategy random(double[] p, long seed) {
        return new RandomTask(Simplex.normalize(p, "prior weights"), seed);
    }

    /** PiKE, Algorithm 1, starting from {@code initial} (uniform or a prior). */
    public static Strategy pike(double[] initial, PikeParams params) {
        return new Pike(Simplex.normalize(initial, "prior weights"), params);
    }

    /** Fair-PiKE, Algorithm 3 (τ = {@code params.tau()}), starting from {@code initial}. */
    public static Strategy fairPike(double[] initial, PikeParams params) {
        return new FairPike(Simplex.normalize(initial, "prior weights"), params);
    }

    /** Conceptual PiKE, Algorithm 2 (eqs. (9)–(10)), starting from {@code initial}. */
    public static Strategy conceptualPike(double[] initial, ConceptualParams params) {
        return new Conceptual(Simplex.normalize(initial, "prior weights"), params);
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
        return new RobustPikeStrategy(w, w, params);
    }

    /**
     * Robust-PiKE as {@link #byName} builds it: the anchor is temperature sampling over {@code tokens} (α) or the
     * start (uniform / prior) per {@link RobustPikeParams#anchor}; it starts from the prior when one is given, else
     * from the anchor.
     */
    static Strategy robustPike(RobustPikeParams params, double[] prior, double[] start, long[] tokens, double alpha) {
        double[] anchor;
        if (params.temperatureAnchor()) {
            Checks.require(
                    tokens != null,
                    "robust-pike's temperature anchor needs the domains' token counts "
                            + "(pike weights: --tokens n1,..,nK), or use --robust-anchor %s",
                    RobustPikeParams.ANCHOR_INITIAL);
            anchor = Baselines.temperature(tokens, alpha);
        } else {
            anchor = Simplex.normalize(start, "prior weights");
        }
        double[] initial = prior != null ? Simplex.normalize(prior, "prior weights") : anchor;
        return new RobustPikeStrategy(initial, anchor, params);
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

    private record Fixed(String name, double[] weights) implements Strategy {
        @Override
        public double[] initialWeights() {
            return weights.clone();
        }

        @Override
        public double[] update(double[] current, DomainStats stats) {
            return current;
        }
    }

    private record RoundRobin(double[] uniform) implements Strategy {
        @Override
        public String name() {
            return "round-robin";
        }

        @Override
        public double[] initialWeights() {
            return uniform.clone();
        }

        @Override
        public double[] update(double[] current, DomainStats stats) {
            return current;
        }

        @Override
        public double[] composition(long step, double[] weights) {
            return Baselines.oneHot(Baselines.roundRobinTask(step, weights.length), weights.length);
        }
    }

    private record RandomTask(double[] p, long seed) implements Strategy {
        @Override
        public String name() {
            return "random";
        }

        @Override
        public double[] initialWeights() {
            return p.clone();
        }

        @Override
        public double[] update(double[] current, DomainStats stats) {
            return current;
        }
        /** The task is drawn with the weights in force (= p unless an operator pinned others). */
        @Override
        public double[] composition(long step, double[] weights) {
            return Baselines.oneHot(Baselines.randomTask(seed, step, weights), weights.length);
        }
    }

    private record Pike(double[] initial, PikeParams p) implements Strategy {
        @Override
        public String name() {
            return "pike";
        }

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
            s.requireValid(w.length, false);
            return PikeUpdate.pikeStep(
                    w, s.gradNormSq(), s.gradVar(), p.zeta1(), p.zeta2(), p.batchSize(), p.minWeight());
        }
    }

    private record FairPike(double[] initial, PikeParams p) implements Strategy {
        @Override
        public String name() {
            return "fair-pike";
        }

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
            s.requireValid(w.length, true);
            return PikeUpdate.fairStep(
                    w,
                    s.gradNormSq(),
                    s.gradVar(),
                    s.loss(),
                    p.zeta1(),
                    p.zeta2(),
                    p.batchSize(),
                    p.tau(),
                    p.minWeight());
        }
    }

    private record Conceptual(double[] initial, ConceptualParams p) implements Strategy {
        @Override
        public String name() {
            return "conceptual-pike";
        }

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
            s.requireValid(w.length, false);
            Simplex.require(w);
            return ConceptualPike.step(w, s.gradNormSq(), s.gradVar(), p);
        }
    }
}
