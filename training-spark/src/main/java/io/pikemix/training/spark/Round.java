package io.pikemix.training.spark;

import io.pikemix.mixer.StepManifest;
import io.pikemix.training.StepEngine;
import java.io.Serializable;
import java.util.List;

/**
 * What the driver broadcasts for one averaging round of A steps: the parameters at its start, AdamW's moments
 * and iteration (only when A > 1: with A = 1 the driver keeps the optimiser), and the round's planned steps (global
 * manifests with their learning rates and statistics flags). Every worker takes its own share of each manifest
 * ({@link StepManifest#share}).
 */
record Round(long index, Tensors params, Tensors adam, long adamIteration, List<StepEngine.Planned> steps)
        implements Serializable {}
