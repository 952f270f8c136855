/** etl */
package io.pikemix.etl;
