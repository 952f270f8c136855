package io.pikemix.mixer;

/**
 * The {@code robust-pike} strategy ({@link RobustPike}): starts from {@code initial} (the anchor, or a prior), pulls
 * towards {@code anchor} (temperature sampling or the initial weights, {@link RobustPikeParams#anchor}) and reads
 * the PiKE statistics plus, through {@link Mixer#report}, the epochs each domain has consumed. Called without
 * epochs (the two-argument {@link #update}, e.g. {@code pike weights}) it treats every domain as unrepeated.
 */
record RobustPikeStrategy(double[] initial, double[] anchor, RobustPikeParams params) implements Strategy {
    @Override
    public String name() {
        return RobustPikeParams.NAME;
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
        return update(w, s, null);
    }

    @Override
    public double[] update(double[] w, DomainStats s, double[] epochsConsumed) {
        io.pikemix.format.Checks.require(
                s.size() == w.length,
                "weights have %d entries but the statistics cover %d domains",
                w.length,
                s.size());
        return RobustPike.step(w, s.gradNormSq(), s.gradVar(), epochsConsumed, anchor, params);
    }
}
