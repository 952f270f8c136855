/**
 * Mixing math and batch composition for PiKE (arXiv:2502.06244). Pure Java: no Spark, no ND4J, no IO
 * outside {@code io.pikemix.mixer.io}.
 *
 * <ul>
 *   <li>{@link io.pikemix.mixer.Strategy} and {@link io.pikemix.mixer.Strategies}: Mix, static, token-proportional,
 *       temperature, Round-Robin and Random (§2.2, §4.1), PiKE (Algorithm 1, §3.3), Conceptual PiKE
 *       (Algorithm 2, eqs. (8)–(10), Appendix B) Fair-PiKE (Algorithm 3, §3.4, Appendix C, Lemma F.6) and
 *       robust-PiKE ({@link io.pikemix.mixer.RobustPike}: scale-free, bounded, abundance-aware; mixer/ROBUST_PIKE.md).</li>
 *   <li>{@link io.pikemix.mixer.Strategies#forDataset}: the one factory that builds a run's strategy from the
 *       dataset and the {@link io.pikemix.mixer.StrategyOptions} ({@code pike train}, {@code weights}, {@code mixer serve}).</li>
 *   <li>{@link io.pikemix.mixer.Mixer}: holds weights, carries and per-domain cursors, applies the step rule
 *       (statistics of step t compose t + 1) and the operator's pins, and hands out one
 *       {@link io.pikemix.mixer.StepManifest} per step (largest-remainder counts with carried remainders,
 *       keyed Feistel permutations per domain and epoch, shard lookup, worker shares). The local trainer, the
 *       Spark trainer and the mixer service all drive it.</li>
 *   <li>{@link io.pikemix.mixer.GradientStatsAccumulator}: the streaming estimator of ‖∇L_k‖², σ_k² and
 *       pairwise cosine similarities that feeds the PiKE family; {@link io.pikemix.mixer.Pooling}: the one
 *       pooling of several workers' estimates, with the floor that keeps ‖∇L_k‖² positive.</li>
 *   <li>{@link io.pikemix.mixer.Simplex}: the one simplex check and normalisation.</li>
 * </ul>
 */
package io.pikemix.mixer;
