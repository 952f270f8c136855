package io.pikemix.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process facts for run directories and benchmarks: peak resident memory, the git commit. */
public final class Memory {
    private Memory() {}

    /**
     * What a training step holds at least, in bytes: the parameters, their gradient and AdamW's two moments (4 float
     * arrays of P), and the activations of one forward pass over {@code rows} × T tokens (the [rows·T, V] logits and,
     * per block, about 12·d floats per token plus the h × T attention probabilities). A lower bound: the engine's
     * scratch buffers come on top.
     */
    public record Need(long parameters, long stateBytes, long activationBytes) {
        public long total() {
            return stateBytes + activationBytes;
        }
    }

    public static Need need(GptConfig model, int rows) {
        long p = model.parameterCount();
        long tokens = (long) rows * model.context();
        long perToken = model.vocabSize()
                + (long) model.nLayer() * (12L * model.dModel() + (long) model.nHead() * model.context());
        return new Need(p, 4 * 4 * p, 4 * tokens * perToken);
    }

    /**
     * The memory training was given: javacpp's bound on off-heap memory, where ND4J keeps every array
     * ({@code -Dorg.bytedeco.javacpp.maxbytes}, which the CLI sets to 1g unless PIKE_JAVA_OPTS does; without it
     * javacpp uses the JVM's max heap, -Xmx).
     */
    public static long budgetBytes() {
        return org.bytedeco.javacpp.Pointer.maxBytes();
    }

    /** Refuses (a user error naming the numbers) a model and batch whose {@link #need} exceeds {@code budget} bytes. */
    public static void requireFits(GptConfig model, int rows, long budget) {
        Need n = need(model, rows);
        if (budget <= 0 || n.total() <= budget) return;
        throw new io.pikemix.format.UserException(String.format(
                java.util.Locale.ROOT,
                "the model does not fit in the memory it was given: %,d parameters need %,d MB (parameters, gradients"
                        + " and AdamW's two moments) and a batch of %d rows x %d tokens needs %,d MB of activations,"
                        + " %,d MB in all, but the budget is %,d MB (-Dorg.bytedeco.javacpp.maxbytes, else -Xmx; set"
                        + " in PIKE_JAVA_OPTS); use a smaller --width, --layers or --batch, or give it more memory",
                n.parameters(),
                n.stateBytes() >> 20,
                rows,
                model.context(),
                n.activationBytes() >> 20,
                n.total() >> 20,
                budget >> 20));
    }

    /** VmHWM of /proc/self/status (peak RSS) in bytes, or -1 where there is none. */
    public static long peakRssBytes() {
        return status("VmHWM:");
    }

    /** VmRSS (current RSS) in bytes, or -1. */
    public static long rssBytes() {
        return status("VmRSS:");
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** {@code git rev-parse HEAD} in pike.home (or the working directory), or "unknown". */
    public static String gitCommit() {
        try {
            var pb = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true);
            String home = System.getProperty("pike.home");
            if (home != null) pb.directory(new java.io.File(home));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }
}
