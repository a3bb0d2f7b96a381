// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC: our filter at clsact ingress (libbpf bpf_tc_*). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "tc.h"

int sw_tc_query(int ifindex, __u32 *prog_id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SW_TC_HANDLE,
			    .priority = SW_TC_PRIO);
	int err;

	*prog_id = 0;
	err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

int sw_tc_attach(int ifindex, int prog_fd, bool *created, __u32 *prog_id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd,
			    .handle = SW_TC_HANDLE, .priority = SW_TC_PRIO);
	int err;

	*created = false;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	*created = err == 0;
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (*created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			*created = false;
		}
		return err;
	}
	*prog_id = opts.prog_id;
	return 0;
}

int sw_tc_count_filters(int ifindex, bool ingress)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req;
	char buf[16384];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd, count = 0, done = 0;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	req.nh.nlmsg_type = RTM_GETTFILTER;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	req.tc.tcm_parent = TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS :
							     TC_H_MIN_EGRESS);
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	while (!done) {
		struct nlmsghdr *nh;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				close(fd);
				return e->error ? e->error : count;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				count++;
		}
	}
	close(fd);
	return count;
}

int sw_tc_detach(int ifindex, bool created_clsact)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SW_TC_HANDLE,
			    .priority = SW_TC_PRIO);
	int err, in, eg;

	err = bpf_tc_detach(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL)
		err = 0;
	if (err)
		return err;
	if (!created_clsact)
		return 0;
	in = sw_tc_count_filters(ifindex, true);
	eg = sw_tc_count_filters(ifindex, false);
	if (in != 0 || eg != 0) {
		if (in > 0 || eg > 0)
			sw_dbg("clsact on ifindex %d still has other filters: "
			       "kept",
			       ifindex);
		return 0;
	}
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	err = bpf_tc_hook_destroy(&hook);
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	return err ? err : 1;
}
