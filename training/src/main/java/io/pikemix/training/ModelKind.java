package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.training.engine.GptEngine;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Which implementation computes the model: {@code engine} (the hand-written forward and backward, the default)
 * or {@code samediff} (the SameDiff reference). Both take the same parameters and checkpoints.
 */
public enum ModelKind {
    ENGINE,
    SAMEDIFF;

    /** A fresh model with the seed's initial values (the same for both kinds). */
    public GradientModel initialize(GptConfig config, long seed) {
        return this == ENGINE ? GptEngine.initialize(config, seed) : GptModel.initialize(config, seed);
    }

    /** A model over saved parameters (the engine copies them into its flat buffer; the reference takes them over). */
    public GradientModel load(GptConfig config, Map<String, INDArray> parameters) {
        return this == ENGINE ? new GptEngine(config, parameters) : new GptModel(config, parameters);
    }

    /** {@code engine} or {@code samediff} (the command's --engine). */
    public static ModelKind parse(String name) {
        for (ModelKind k : values()) if (k.name().equalsIgnoreCase(name)) return k;
        Checks.require(false, "--engine must be 'engine' or 'samediff', got '%s'", name);
        throw new AssertionError();
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
