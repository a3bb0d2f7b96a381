// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `synwall status [IFACE]`: what is attached where, and with what. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "caps.h"
#include "cfg.h"
#include "compat.h"
#include "flows.h"
#include "keys.h"
#include "log.h"
#include "maps.h"
#include "netns.h"
#include "tc.h"
#include "util.h"
#include "verbs.h"
#include "xdp.h"

static void show_programs(const char *ifname, int ifindex,
			  const struct sw_state *st)
{
	struct sw_xdp_info xi;
	__u32 tc_id = 0;

	if (sw_xdp_query(ifindex, &xi) == 0 && xi.prog_id)
		printf("  xdp:    %s id %u, %s mode%s%s\n", SW_XDP_PROG_NAME,
		       xi.prog_id, sw_xdp_mode_name(xi.mode),
		       xi.dispatcher ?
			       ", through libxdp's dispatcher" :
			       ", single program (no libxdp dispatcher)",
		       st && st->xdp_prog_id != xi.prog_id ?
			       " (NOT the one synwall attach recorded!)" :
			       "");
	else if (xi.other_id)
		printf("  xdp:    NOT synwall: %s (id %u) holds %s\n",
		       xi.other_name, xi.other_id, ifname);
	else
		printf("  xdp:    no XDP program on %s\n", ifname);
	if (sw_tc_query(ifindex, &tc_id) == 0 && tc_id)
		printf("  tc:     clsact ingress, handle 0x%x prio %d, program "
		       "id %u%s\n",
		       SW_TC_HANDLE, SW_TC_PRIO, tc_id,
		       st && st->tc_prog_id != tc_id ?
			       " (NOT the one synwall attach recorded!)" :
			       "");
	else if (st && (st->flags & SW_ST_DEGRADED))
		printf("  tc:     none (degraded mode: the kernel checks the "
		       "cookie of the ACKs XDP passes)\n");
	else if (st)
		printf("  tc:     synwall's TC filter is MISSING: cookies "
		       "cannot be handed off (fix: synwall detach %s; synwall "
		       "attach %s ...)\n",
		       ifname, ifname);
	else
		printf("  tc:     not attached by synwall attach (with tc: `tc "
		       "filter show dev %s ingress`)\n",
		       ifname);
}

/* Details of one interface; returns 0 if synwall is attached to it. */
static int show_iface(const char *ifname, const char *pin_dir)
{
	struct sw_maps m;
	struct sw_state st;
	int ifindex, have_state;
	char age[32];

	ifindex = sw_iface_index(ifname);
	if (!ifindex)
		return SW_EXIT_FAIL;
	if (sw_maps_open(ifname, ifindex, pin_dir, &m))
		return SW_EXIT_FAIL;
	have_state = sw_state_read(m.state, &st) == 0;
	printf("%s (ifindex %d):\n", ifname, ifindex);
	show_programs(ifname, ifindex, have_state ? &st : NULL);
	if (m.dir[0])
		printf("  maps:   pinned in %s\n", m.dir);
	else
		printf("  maps:   not pinned by synwall: found through XDP "
		       "program id %u (loaded by ip link?)\n",
		       m.prog_id);
	if (have_state)
		printf("  since:  %s ago (synwall attach)\n",
		       sw_fmt_age(sw_now_realtime() - st.attached_at, age,
				  sizeof(age)));
	if (m.dir[0] && sw_compat_pinned(m.dir))
		sw_compat_print(m.dir, stdout, "  ");
	else if (m.dir[0])
		sw_flows_print(m.dir, "  ");
	else
		printf("  flows:  off (no synwall attach: every socket is "
		       "looked up)\n");
	sw_cfg_print(&m, "  ");
	sw_keys_print(m.keys, have_state ? &st : NULL, "  ");
	sw_maps_close(&m);
	return 0;
}

static int show_all(void)
{
	struct if_nameindex *ifs, *i;
	struct sw_xdp_info xi;
	struct dirent *de;
	__u64 dev, ino;
	int shown = 0;
	DIR *d;

	sw_netns_id(&dev, &ino);
	d = opendir(SYNWALL_PIN_ROOT);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		struct sw_state st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", SYNWALL_PIN_ROOT,
			 de->d_name, SW_STATE_PIN);
		fd = bpf_obj_get(path);
		if (sw_state_read(fd, &st)) {
			printf("%s/%s: no state record (not made by synwall "
			       "attach)\n\n",
			       SYNWALL_PIN_ROOT, de->d_name);
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		shown++;
		if (st.netns_dev != dev || st.netns_ino != ino) {
			int pfd = bpf_prog_get_fd_by_id(st.xdp_prog_id);

			printf("%s: in another network namespace (inode "
			       "%llu)%s\n\n",
			       st.ifname, (unsigned long long)st.netns_ino,
			       pfd < 0 ? ": its programs are gone, the pins "
					 "are stale (synwall attach or detach "
					 "cleans them)" :
					 "");
			if (pfd >= 0)
				close(pfd);
			continue;
		}
		show_iface(de->d_name, NULL);
		printf("\n");
	}
	if (d)
		closedir(d);

	/* Loaded by ip link, without the loader's pins. */
	ifs = if_nameindex();
	for (i = ifs; i && i->if_index; i++) {
		char dir[PATH_MAX];
		struct stat sb;

		sw_pin_dir_default(i->if_name, dir, sizeof(dir));
		if (stat(dir, &sb) == 0)
			continue;
		if (sw_xdp_query((int)i->if_index, &xi) || !xi.prog_id)
			continue;
		shown++;
		show_iface(i->if_name, NULL);
		printf("\n");
	}
	if (ifs)
		if_freenameindex(ifs);
	if (!shown)
		printf("synwall is not attached to any interface in this "
		       "network namespace\n\n");
	return 0;
}

struct status_cfg {
	const char *pin_dir;
};

static int run_status(void *cfg, int nargs, char **args)
{
	const char *pin_dir = ((struct status_cfg *)cfg)->pin_dir;
	struct sw_caps caps;
	int rc;

	if (nargs == 1)
		rc = show_iface(args[0], pin_dir);
	else
		rc = show_all();
	sw_caps_check(&caps, pin_dir);
	printf("kernel: %s\n",
	       caps.missing ? "MISSING capabilities:" :
			      "every capability synwall needs is present");
	sw_caps_print(&caps, stdout);
	return rc;
}

static const struct sw_opt status_opts[] = {
	SW_OPT_PIN_DIR(struct status_cfg, pin_dir, SW_PIN_DIR_HELP),
	SW_OPT_END,
};

const struct sw_verb sw_verb_status = {
	.name = "status",
	.summary = "what is attached where; kernel capabilities",
	.synopsis = "[IFACE] [--pin-dir DIR]",
	.doc = "Without IFACE: every synwall attachment (pin directories "
	       "under\n"
	       "/sys/fs/bpf/synwall, and synwall programs loaded with ip "
	       "link in this\n"
	       "network namespace), then the kernel capabilities.  With "
	       "IFACE: that one\n"
	       "in detail; the exit status is 1 if synwall is not attached "
	       "to it.",
	.opts = status_opts,
	.cfg_size = sizeof(struct status_cfg),
	.min_args = 0,
	.max_args = 1,
	.run = run_status,
};
