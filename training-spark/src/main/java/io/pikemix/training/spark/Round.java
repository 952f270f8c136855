package io.pikemix.training.spark;

import io.pikemix.mixer.StepManifest;

import java.io.Serializable;
import java.util.List;

/**
 * What the driver broadcasts for one averaging round of A steps: the parameters at its start, AdamW's moments
 * and iteration (only when A > 1: with A = 1 the driver keeps the optimiser), and the round's global
 * manifests with their learning rates and whether each is a statistics step. Every worker takes its own share
 * of each manifest ({@link StepManifest#share}).
 */
record Round(long index, Tensors params, Tensors adam, long adamIteration, List<Step> steps) implements Serializable {

    /** One step of the round: its global manifest, its learning rate and the statistics flag. */
    record Step(StepManifest manifest, double lr, boolean stats) implements Serializable {
        long step() { return manifest.step(); }

        int rows() { return manifest.size(); }
    }
}
