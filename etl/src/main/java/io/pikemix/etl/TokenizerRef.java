package io.pikemix.etl;

import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import java.io.Serializable;

/**
 * What travels to executors to name a tokenizer: an encoding name, or the bytes of a tokenizer.json
 * (so executors need no shared file system). {@link #get} returns the per-JVM cached instance.
 */
record TokenizerRef(String encoding, byte[] json) implements Serializable {
    static TokenizerRef encoding(String name) {
        return new TokenizerRef(name, null);
    }

    static TokenizerRef json(byte[] bytes) {
        return new TokenizerRef(null, bytes);
    }

    Tokenizer get() {
        return json != null ? Tokenizers.fromJson(json) : Tokenizers.load(encoding, null);
    }
}
