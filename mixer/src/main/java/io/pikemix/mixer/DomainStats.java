package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.Arrays;

/**
 * The latest per-domain statistics a strategy reads: unbiased ‖∇L_k‖² estimates, per-sequence gradient
 * variances σ_k² (paper eq. (7)) and, for Fair-PiKE, the per-domain losses L_k. {@code loss} may be null.
 * Arrays are indexed by domain, in the order of {@link MixConfig#domains()}.
 */
public record DomainStats(double[] gradNormSq, double[] gradVar, double[] loss) {
    public DomainStats {
        Checks.require(gradNormSq != null && gradVar != null, "grad_norm_sq and grad_var are both required");
        Checks.require(
                gradNormSq.length == gradVar.length,
                "grad_norm_sq has %d entries but grad_var has %d",
                gradNormSq.length,
                gradVar.length);
        Checks.require(
                loss == null || loss.length == gradNormSq.length,
                "loss has %d entries but grad_norm_sq has %d",
                loss == null ? 0 : loss.length,
                gradNormSq.length);
        gradNormSq = gradNormSq.clone();
        gradVar = gradVar.clone();
        loss = loss == null ? null : loss.clone();
    }

    /** Number of domains covered. */
    public int size() {
        return gradNormSq.length;
    }

    /**
     * Checks the statistics before an update: {@code domains} entries, every ‖∇L_k‖² and σ_k² finite and
     * strictly positive (a zero means the estimate is missing or degenerate, e.g. one micro-batch fed twice;
     * see {@link Pooling#pool} for how every route keeps an unbiased estimate positive),
     * and, when {@code needLoss}, every loss finite.
     */
    public DomainStats requireValid(int domains, boolean needLoss) {
        Checks.require(
                size() == domains, "weights have %d entries but the statistics cover %d domains", domains, size());
        requirePositive("grad_norm_sq", gradNormSq);
        requirePositive("grad_var", gradVar);
        if (needLoss) {
            Checks.require(loss != null, "this strategy needs per-domain 'loss' values, but none were given");
            for (int k = 0; k < loss.length; k++)
                Checks.require(Double.isFinite(loss[k]), "loss[%d] = %s must be finite (domain %d)", k, loss[k], k);
        }
        return this;
    }

    private static void requirePositive(String field, double[] values) {
        for (int k = 0; k < values.length; k++)
            Checks.require(
                    Double.isFinite(values[k]) && values[k] > 0,
                    "%s[%d] = %s must be finite and > 0 (domain %d); a zero or non-finite estimate cannot drive an update",
                    field,
                    k,
                    values[k],
                    k);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DomainStats s
                && Arrays.equals(gradNormSq, s.gradNormSq)
                && Arrays.equals(gradVar, s.gradVar)
                && Arrays.equals(loss, s.loss);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(gradNormSq) + Arrays.hashCode(gradVar)) + Arrays.hashCode(loss);
    }

    @Override
    public String toString() {
        return "DomainStats[gradNormSq=" + Arrays.toString(gradNormSq) + ", gradVar=" + Arrays.toString(gradVar)
                + ", loss=" + Arrays.toString(loss) + "]";
    }
}
