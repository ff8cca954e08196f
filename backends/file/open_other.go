//go:build !unix

package file

// openFlags: without O_NOFOLLOW and O_NONBLOCK, the type check after the
// open (and the Lstat before it) is what keeps links and pipes out.
const openFlags = 0
