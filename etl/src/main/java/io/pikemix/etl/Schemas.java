package io.pikemix.etl;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Column names and schemas of the ETL's Datasets (STYLE.md §3). The shard schema is {@link #SHARD}. */
public final class Schemas {
    private Schemas() {}

    public static final String DOMAIN = "domain";
    public static final String SPLIT = "split";
    public static final String SEQ_ID = "seq_id";
    public static final String TOKENS = "tokens";

    /**
     * What a shard file holds: {@code seq_id: long, tokens: binary} (no nulls); {@code tokens} is the row's
     * token ids as little-endian int32 ({@link #packTokens}). One value per row: Parquet writes it as one
     * byte array, where a {@code list<int32>} costs a repetition level, statistics and a boxed conversion per token.
     */
    public static final StructType SHARD = new StructType(new StructField[]{
            DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
            DataTypes.createStructField(TOKENS, DataTypes.BinaryType, false)});

    /** Rows as the pack step emits them; domain and split become the directory layout. */
    public static final StructType PACKED = new StructType(new StructField[]{
            DataTypes.createStructField(DOMAIN, DataTypes.StringType, false),
            DataTypes.createStructField(SPLIT, DataTypes.StringType, false),
            DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
            DataTypes.createStructField(TOKENS, DataTypes.BinaryType, false)});

    /** Token ids as the {@code tokens} column stores them: little-endian int32, 4 bytes each. */
    public static byte[] packTokens(int[] tokens) {
        var b = java.nio.ByteBuffer.allocate(4 * tokens.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(tokens);
        return b.array();
    }

    /** The inverse of {@link #packTokens}. */
    public static int[] unpackTokens(byte[] bytes, int offset, int length) {
        if (length % 4 != 0) throw new IllegalArgumentException("a tokens value of " + length + " bytes is not a whole number of int32");
        var out = new int[length / 4];
        java.nio.ByteBuffer.wrap(bytes, offset, length).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
    }
}
