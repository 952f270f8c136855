package io.pikemix.bench;

import io.pikemix.format.Checks;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Example 3.1 and Figure 3 of arXiv:2502.06244 (§3.1.2, Appendix F.1): two tasks on θ ∈ R² with
 * ℓ_k(θ; x_k) = ½(θᵀe_k)² + x_kᵀθ, x_k ~ N(0, σ_k² I), so L_k(θ) = ½θ_k². A Mix batch with weights
 * (w, 1 − w) gives the stochastic gradient g = (w θ_1, (1 − w) θ_2) + z, z ~ N(0, (w σ_1² + (1 − w) σ_2²)/b · I),
 * and SGD θ ← θ − η g. Eq. (3):
 *
 *   E[L(θ_{t+1})] = ½(1 − ηw)² θ_1² + ½(1 − η(1 − w))² θ_2² + η² (w σ_1² + (1 − w) σ_2²)/b
 *
 * minimised over w ∈ [0, 1] by eq. (4):
 *
 *   w* = Π( (b⁻¹(σ_2² − σ_1²) + η⁻¹(θ_1² − θ_2²) + θ_2²) / (θ_1² + θ_2²) ),   Π = clip to [0, 1].
 *
 * {@link #lossCurves} runs SGD with the adaptive w* (recomputed every step from the current θ, as in the
 * figure) and with every static w of a grid, averaging the loss over seeded runs that share their noise
 * draws (common random numbers), so the comparison is not blurred by sampling noise. The paper does not state
 * the figure's constants; {@link Setup#DEFAULT} uses η = 0.5, b = 8, σ² = (1, 4), θ_0 = (1, 2).
 */
public final class Figure3 {
    private Figure3() {}

    /** Constants of one experiment. */
    public record Setup(
            double eta,
            int batch,
            double sigma1Sq,
            double sigma2Sq,
            double theta1,
            double theta2,
            int steps,
            int runs,
            long seed) {
        public static final Setup DEFAULT = new Setup(0.5, 8, 1, 4, 1, 2, 100, 200, 31);

        public Setup {
            Checks.require(
                    eta > 0 && batch > 0 && sigma1Sq >= 0 && sigma2Sq >= 0 && steps > 0 && runs > 0,
                    "invalid Example 3.1 setup: eta %s, batch %d, sigma² (%s, %s), steps %d, runs %d",
                    eta,
                    batch,
                    sigma1Sq,
                    sigma2Sq,
                    steps,
                    runs);
        }
    }

    /** Eq. (3): the expected loss after one SGD step from θ with task-1 weight w. */
    static double expectedNextLoss(double w, double theta1, double theta2, double eta, int b, double s1, double s2) {
        double a = 1 - eta * w, c = 1 - eta * (1 - w);
        return 0.5 * a * a * theta1 * theta1 + 0.5 * c * c * theta2 * theta2 + eta * eta * (w * s1 + (1 - w) * s2) / b;
    }

    /** Eq. (4): the w ∈ [0, 1] minimising eq. (3); ½ at θ = 0, where every w gives the same descent. */
    static double adaptiveWeight(double theta1, double theta2, double eta, int b, double s1, double s2) {
        double a = theta1 * theta1, c = theta2 * theta2;
        if (a + c == 0) return 0.5;
        double w = ((s2 - s1) / b + (a - c) / eta + c) / (a + c);
        return Math.min(Math.max(w, 0), 1);
    }

    /**
     * Mean loss L(θ_t) = ½‖θ_t‖², t = 0..steps, over the setup's runs: row 0 is the adaptive schedule, row i + 1
     * the static weight {@code staticWeights[i]}.
     */
    public static double[][] lossCurves(Setup s, double[] staticWeights) {
        int policies = staticWeights.length + 1;
        var mean = new double[policies][s.steps() + 1];
        var rnd = new SplittableRandom(s.seed());
        var t1 = new double[policies];
        var t2 = new double[policies];
        for (int r = 0; r < s.runs(); r++) {
            java.util.Arrays.fill(t1, s.theta1());
            java.util.Arrays.fill(t2, s.theta2());
            for (int p = 0; p < policies; p++) mean[p][0] += 0.5 * (t1[p] * t1[p] + t2[p] * t2[p]);
            for (int t = 1; t <= s.steps(); t++) {
                double xi1 = gaussian(rnd), xi2 = gaussian(rnd); // shared by every policy (common random numbers)
                for (int p = 0; p < policies; p++) {
                    double w = p == 0
                            ? adaptiveWeight(t1[p], t2[p], s.eta(), s.batch(), s.sigma1Sq(), s.sigma2Sq())
                            : staticWeights[p - 1];
                    double sd = Math.sqrt((w * s.sigma1Sq() + (1 - w) * s.sigma2Sq()) / s.batch());
                    t1[p] -= s.eta() * (w * t1[p] + sd * xi1);
                    t2[p] -= s.eta() * ((1 - w) * t2[p] + sd * xi2);
                    mean[p][t] += 0.5 * (t1[p] * t1[p] + t2[p] * t2[p]);
                }
            }
        }
        for (double[] row : mean) for (int t = 0; t < row.length; t++) row[t] /= s.runs();
        return mean;
    }

    static double gaussian(SplittableRandom rnd) { // Box–Muller
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** The static grid of the printout and the test: w = 0, 0.05, …, 1. */
    public static double[] grid() {
        var g = new double[21];
        for (int i = 0; i < g.length; i++) g[i] = i / 20.0;
        return g;
    }

    /** Prints the loss of the adaptive schedule and of every static mix at ten checkpoints. */
    public static void main(String[] args) {
        Setup s = Setup.DEFAULT;
        double[] grid = grid();
        double[][] curves = lossCurves(s, grid);
        System.out.printf(
                Locale.ROOT,
                "Example 3.1 / Figure 3: eta %s, b %d, sigma^2 (%s, %s), theta0 (%s, %s), %d runs%n",
                s.eta(),
                s.batch(),
                s.sigma1Sq(),
                s.sigma2Sq(),
                s.theta1(),
                s.theta2(),
                s.runs());
        System.out.print("policy      ");
        for (int t = 0; t <= s.steps(); t += s.steps() / 10) System.out.printf(Locale.ROOT, "%8s", "t=" + t);
        System.out.println();
        int best = 1;
        for (int p = 0; p < curves.length; p++) {
            if (p > 0 && curves[p][s.steps()] < curves[best][s.steps()]) best = p;
            System.out.printf(
                    Locale.ROOT, "%-12s", p == 0 ? "adaptive" : String.format(Locale.ROOT, "w1=%.2f", grid[p - 1]));
            for (int t = 0; t <= s.steps(); t += s.steps() / 10) System.out.printf(Locale.ROOT, "%8.4f", curves[p][t]);
            System.out.println();
        }
        System.out.printf(
                Locale.ROOT,
                "final loss: adaptive %.4f, best static (w1=%.2f) %.4f%n",
                curves[0][s.steps()],
                grid[best - 1],
                curves[best][s.steps()]);
    }
}
