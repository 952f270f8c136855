/** The paper's Example 3.1 / Figure 3 (adaptive vs static mixing on a two-task quadratic), recomputed. */
package io.pikemix.mixer.example;
