package io.pikemix.mixer;

/** How per-domain row counts are rounded each step (see {@link Apportion}). */
public enum Rounding {
    /** Largest remainder with each domain's remainder carried to the next step (default). */
    CARRY,
    /** The paper's per-step round(b·w) (largest remainder so that Σ b_k = b), nothing carried. */
    PER_STEP
}
