package io.pikemix.training;

import io.pikemix.format.Checks;

/**
 * Shape of the GPT decoder (paper Appendix D.3, Table 5 scaled down): {@code nLayer} pre-LayerNorm blocks of
 * width {@code dModel} with {@code nHead} heads, rotary positions over {@code context} tokens, qk-LayerNorm,
 * no biases, output projection tied to the token embedding.
 *
 * @param vocabSize  token ids are in [0, vocabSize) (dataset.json's tokenizer.vocab_size)
 * @param context    T, tokens per training example (dataset.json's context)
 * @param nLayer     transformer blocks
 * @param nHead      attention heads; dModel / nHead is the head width (even, for rotary)
 * @param dModel     residual width C; the MLP is 4·C wide
 * @param lnEpsilon  LayerNorm ε (Flax default 1e-6, D.3). 0 means no epsilon at all: the SameDiff reference then
 *                   uses ND4J 1.0.0-M2.1's fused {@code layer_norm}, which has none (its {@code standardize} divides
 *                   by the biased standard deviation; upstream issue #8241), and the engine computes 1/√σ² the same way
 */
public record GptConfig(int vocabSize, int context, int nLayer, int nHead, int dModel, double lnEpsilon)
        implements java.io.Serializable {
    public static final double FLAX_LN_EPSILON = 1e-6;

    public GptConfig {
        Checks.require(vocabSize > 1, "vocab size must be > 1, got %d", vocabSize);
        Checks.require(context > 1, "context must be > 1, got %d", context);
        Checks.require(nLayer > 0, "--layers must be > 0, got %d", nLayer);
        Checks.require(
                nHead > 0 && dModel > 0 && dModel % nHead == 0,
                "--width (%d) must be a positive multiple of --heads (%d)",
                dModel,
                nHead);
        Checks.require(
                (dModel / nHead) % 2 == 0,
                "head width --width/--heads = %d must be even (rotary pairs)",
                dModel / nHead);
        Checks.require(lnEpsilon >= 0 && lnEpsilon < 1, "LayerNorm epsilon must be in [0, 1), got %s", lnEpsilon);
    }

    /** The demo model: 2 layers, width 128, 4 heads — trains on 2 CPU cores. */
    public static GptConfig tiny(int vocabSize, int context) {
        return new GptConfig(vocabSize, context, 2, 4, 128, FLAX_LN_EPSILON);
    }

    public int headSize() {
        return dModel / nHead;
    }

    /** Number of trainable parameters (embedding counted once: the output projection is tied to it). */
    public long parameterCount() {
        long C = dModel;
        long perLayer = 2 * C + 2L * headSize() + 4 * C * C + 8 * C * C; // ln1, ln2, q/k norm, attention, MLP
        return (long) vocabSize * C + nLayer * perLayer + C;
    }
}
