divert(-1)
dnl #
dnl # sendmail-ems.m4 - hands the mail of the domains ems hosts to ems's
dnl # mailer, smtpgw, the way the seeds' Mofcmail handed it to ofcuto.
dnl # See smtpgw(8).  Use it from your sendmail.mc, after the MAILER() lines:
dnl #
dnl #   define(`EMS_SMTPGW', `/usr/local/sbin/smtpgw')dnl   (the default)
dnl #   define(`EMS_CONFIG', `/etc/ems/ems.conf')dnl        (the default)
dnl #   define(`EMS_USER', `ems:ems')dnl                     (the default)
dnl #   define(`EMS_DOMAINS', `example.test example.org')dnl
dnl #   include(`/usr/local/share/ems/sendmail-ems.m4')dnl
dnl #
dnl # then rebuild sendmail.cf (Debian: sendmailconfig, or make -C /etc/mail)
dnl # and restart sendmail.  Instead of EMS_DOMAINS, EMS_DOMAINS_FILE names a
dnl # file with one hosted domain per line (oomgr list domain | cut -d' ' -f1).
dnl #
dnl # The mailer runs once per recipient (no F=m), so smtpgw's exit code
dnl # (sysexits: 0 stored, 67 unknown user, 75 try later, 65/69/73 refused)
dnl # is that recipient's fate; sendmail queues on 75 and bounces on the
dnl # permanent codes.  smtpgw writes Return-Path itself: no F=P.
dnl # U=EMS_USER: smtpgw writes the store, so it runs as the user that owns
dnl # it (ems.conf's user/group), not as sendmail's DefaultUser.  sendmail
dnl # passes the null sender of its own bounces as MAILER-DAEMON ($n); smtpgw
dnl # takes that for <>, so ems never answers a bounce.
dnl #
dnl #   F=l  final delivery        F=s  strip quotes     F=D,F,M  add a missing
dnl #   F=n  no "From " line       F=u  keep upper case  Date, From, Message-Id
dnl #
ifdef(`EMS_SMTPGW',, `define(`EMS_SMTPGW', `/usr/local/sbin/smtpgw')')
ifdef(`EMS_CONFIG',, `define(`EMS_CONFIG', `/etc/ems/ems.conf')')
ifdef(`EMS_USER',, `define(`EMS_USER', `ems:ems')')
divert(0)dnl
LOCAL_CONFIG
# The domains ems hosts.
ifdef(`EMS_DOMAINS', `C{EmsDomains}EMS_DOMAINS')
ifdef(`EMS_DOMAINS_FILE', `F{EmsDomains}-o EMS_DOMAINS_FILE')
LOCAL_RULE_0
# Mail for an ems domain goes to the ems mailer with the whole address.
R$+ < @ $={EmsDomains} . >	$#ems $: $1 < @ $2 . >		ems passoff
R$+ < @ $={EmsDomains} >	$#ems $: $1 < @ $2 >		ems passoff
MAILER_DEFINITIONS
######################################
###   ems: smtpgw as a local mailer ###
######################################
Mems,		P=EMS_SMTPGW, F=lsDFMnu, S=EnvFromSMTP/HdrFromSMTP,
		R=EnvToSMTP/HdrFromSMTP, T=DNS/RFC822/X-Unix, U=EMS_USER,
		A=smtpgw -c EMS_CONFIG -f $g -- $u
