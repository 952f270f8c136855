package io.pikemix.training.spark;

import io.pikemix.training.Corpus;
import io.pikemix.training.GptConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-executor state that outlives a task: the opened corpus and the built SameDiff graph, one per worker slot
 * (in {@code local[n]} several workers share one JVM and run at once; neither the row cache nor the graph is
 * thread-safe). Each round only assigns the broadcast parameters into the cached model. Also bounds ND4J's
 * off-heap memory before ND4J first loads in an executor, unless the executor's options set it.
 */
final class WorkerRuntime {
    private WorkerRuntime() {}

    static {
        if (System.getProperty("org.bytedeco.javacpp.maxbytes") == null)
            System.setProperty("org.bytedeco.javacpp.maxbytes", "1g");
        if (System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null)
            System.setProperty("org.bytedeco.javacpp.maxphysicalbytes", "2500m");
    }

    private record Slot(CorpusSource source, GptConfig config, int worker) {}

    private record Held(Corpus corpus, io.pikemix.training.GradientModel model) {}

    private static final Map<Slot, Held> HELD = new HashMap<>();

    /** The corpus and model of worker {@code worker} in this JVM, opened and built on first use. */
    static synchronized Corpus corpus(CorpusSource source, GptConfig config, int worker) {
        return held(source, config, worker).corpus();
    }

    static synchronized io.pikemix.training.GradientModel model(CorpusSource source, GptConfig config, int worker) {
        return held(source, config, worker).model();
    }

    private static Held held(CorpusSource source, GptConfig config, int worker) {
        return HELD.computeIfAbsent(new Slot(source, config, worker), s -> {
            Corpus c = source.open();
            return new Held(
                    c,
                    io.pikemix.training.ModelKind.ENGINE.initialize(
                            config, 0)); // weights are overwritten from every round's broadcast
        });
    }
}
