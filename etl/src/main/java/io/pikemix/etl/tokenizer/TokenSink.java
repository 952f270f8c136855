package io.pikemix.etl.tokenizer;

/** Receives token ids as a tokenizer produces them (the ETL's packer), so no per-document id array is built. */
public interface TokenSink {
    void token(int id);

    /** All of {@code ids}, in order; the array belongs to the caller (a cache) and must not be kept or changed. */
    default void tokens(int[] ids) {
        for (int id : ids) token(id);
    }
}
