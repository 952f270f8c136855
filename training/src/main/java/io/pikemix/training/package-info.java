/** training */
package io.pikemix.training;
