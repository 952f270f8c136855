package io.pikemix.etl;

import io.pikemix.format.ShardSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Column names and schemas of the ETL's Datasets (STYLE.md §3). The shard columns and the token codec are
 * {@code format}'s ({@link ShardSchema}); {@link #SHARD} is their Spark type.
 */
public final class Schemas {
    private Schemas() {}

    public static final String DOMAIN = "domain";
    public static final String SPLIT = "split";
    public static final String SEQ_ID = ShardSchema.SEQ_ID;
    public static final String TOKENS = ShardSchema.TOKENS;

    /**
     * What a shard file holds: {@code seq_id: long, tokens: binary} (no nulls); {@code tokens} is the row's
     * token ids as little-endian int32 ({@link ShardSchema#packTokens}).
     */
    public static final StructType SHARD = new StructType(new StructField[] {
        DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
        DataTypes.createStructField(TOKENS, DataTypes.BinaryType, false)
    });

    /** Rows as the pack step emits them; domain and split become the directory layout. */
    public static final StructType PACKED = new StructType(new StructField[] {
        DataTypes.createStructField(DOMAIN, DataTypes.StringType, false),
        DataTypes.createStructField(SPLIT, DataTypes.StringType, false),
        DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
        DataTypes.createStructField(TOKENS, DataTypes.BinaryType, false)
    });
}
